import type { Log } from '../model/log.js';

export interface CollectContext {
  /** Root of the procfs tree (--path.procfs). */
  procfs: string;
  log: Log;
}

/**
 * One source of data for the snapshot. A collector throws when it cannot produce a result;
 * the poller records success=0 for it, logs the reason, and the rest of the snapshot goes on.
 */
export interface Collector<T> {
  readonly name: string;
  collect(ctx: CollectContext): Promise<T>;
}
