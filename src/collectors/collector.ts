import type { Log } from '../model/log.js';

export interface CollectContext {
  /** Root of the procfs tree (--path.procfs). */
  procfs: string;
  log: Log;
}

/**
 * Another collector's result of the same cycle, as handed to a collector that declared it in
 * `inputs`: its value, or why there is none (it failed, timed out, or is not enabled).
 */
export type InputResult<T> = { ok: true; value: T } | { ok: false; reason: string };

/** What `collect` is handed for inputs `In` (input name → that collector's result type). */
export type CollectedInputs<In extends object> = { readonly [K in keyof In]: InputResult<In[K]> };

/**
 * One source of data for the snapshot. A collector throws when it cannot produce a result;
 * the poller records success=0 for it, logs the reason, and the rest of the snapshot goes on.
 *
 * A collector that reads another's result of the same cycle names it in `inputs` (the keys of
 * `In`). The poller then calls `collect` once those collectors have ended, whatever their place
 * in the list and however they await, and hands their results as the second argument; an input
 * that failed, timed out or is off is handed as such. Inputs have no inputs of their own (the
 * poller refuses chains), so there is no cycle to wait on. Called without inputs (a test, a
 * benchmark), a collector does without them.
 */
export interface Collector<T, In extends object = Record<never, never>> {
  readonly inputs?: readonly string[];
  collect(ctx: CollectContext, inputs?: CollectedInputs<In>): Promise<T>;
  /** Releases what the collector keeps between cycles (a socket it reads events from); called once, when the poller stops. */
  close?(): Promise<void>;
}
