import { errorMessage } from '../model/errno.js';
import type { Log } from '../model/log.js';
import type { CollectContext, InputResult } from '../collectors/collector.js';
import { COLLECTOR_NAMES, type CollectedData, type CollectorName, type CollectorSet } from '../collectors/index.js';
import { pendingReads, type PendingRead, type PendingReads } from '../sources/pendingReads.js';
import { defaultCollectorTimeoutMs, withDeadline } from './deadline.js';
import { deepFreeze, type CollectorStatus, type Snapshot, type SnapshotReader } from './snapshot.js';

export interface PollerOptions {
  /** --collector.timeout: how long each collector may take (default: the interval, at least 10 s). */
  timeoutMs?: number;
  log?: Log;
  /** The file reads under way (tests pass their own). */
  reads?: PendingReads;
}

/** A collector run that has not returned yet. */
interface Running {
  startedMs: number;
  /** Set once its deadline has passed: the run goes on, its result will be dropped. */
  abandoned: boolean;
}

/**
 * Runs the collectors every `intervalMs` and publishes an immutable snapshot. The next cycle is
 * scheduled only after the current one ends, so cycles never overlap however slow the kernel
 * walk is; a cycle that overruns the interval is followed by the next one at once.
 *
 * Each collector has `timeoutMs` to return. One that does not fails with reason "timeout" and the
 * cycle is published with the others; its run goes on (a pending read cannot be cancelled) and is
 * not started again until it returns: the collector is reported timed out, without running, in
 * every cycle meanwhile. So a hung read costs one pool thread, not one per cycle, and a collector's
 * state is never touched by two runs at once.
 *
 * A collector that declares inputs (Collector.inputs) is called once those collectors of the same
 * cycle have ended, with their results; its deadline runs from the start of the cycle, as every
 * other's, so a cycle still ends within `timeoutMs`.
 */
export class SnapshotPoller implements SnapshotReader {
  private current: Snapshot | undefined;
  private inFlight: Promise<Snapshot> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private sequence = 0;
  private stopped = false;
  private abandoned = false;
  private readonly failing = new Set<CollectorName>();
  private firstPublished: { promise: Promise<Snapshot>; resolve: (s: Snapshot) => void } | undefined;
  private readonly running = new Map<CollectorName, Running>();
  private readonly log: Log;
  private readonly reads: PendingReads;
  /** Aborted at shutdown: the waits for collectors end at once. */
  private readonly stopping = new AbortController();
  readonly timeoutMs: number;

  constructor(
    private readonly collectors: CollectorSet,
    private readonly ctx: CollectContext,
    private readonly intervalMs: number,
    options: PollerOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? defaultCollectorTimeoutMs(intervalMs);
    this.log = options.log ?? ctx.log;
    this.reads = options.reads ?? pendingReads;
    checkInputs(collectors);
  }

  latest(): Snapshot | undefined {
    return this.current;
  }

  first(): Promise<Snapshot> {
    if (this.current) return Promise.resolve(this.current);
    if (!this.firstPublished) {
      let resolve: (s: Snapshot) => void = () => undefined;
      const promise = new Promise<Snapshot>((r) => (resolve = r));
      this.firstPublished = { promise, resolve };
    }
    return this.firstPublished.promise;
  }

  /** Runs the first collection now and keeps polling until stop(). Resolves with the first snapshot. */
  start(): Promise<Snapshot> {
    this.stopped = false;
    return this.cycle();
  }

  /** One collection; joins the running one instead of starting a second. */
  collectOnce(): Promise<Snapshot> {
    this.inFlight ??= this.runCollectors().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /**
   * Stops polling, after the cycle under way (at most `timeoutMs` away). With `abandon` (shutdown),
   * that cycle ends at once instead, unpublished: collectors still running are left to themselves.
   */
  async stop(options: { abandon?: boolean } = {}): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (options.abandon) {
      this.abandoned = true;
      this.stopping.abort();
    }
    if (this.inFlight) await this.inFlight.catch(() => undefined);
    // Then the collectors that hold something open between cycles (the connections collector's event socket).
    await Promise.all(
      COLLECTOR_NAMES.map((n) => this.collectors[n]?.close?.().catch((err: unknown) => this.ctx.log.warn({ collector: n, err: errorMessage(err) }, 'closing collector failed'))),
    );
  }

  private async cycle(): Promise<Snapshot> {
    const started = Date.now();
    try {
      return await this.collectOnce();
    } finally {
      if (!this.stopped) {
        const delay = Math.max(0, this.intervalMs - (Date.now() - started));
        this.timer = setTimeout(() => void this.cycle().catch((err: unknown) => this.log.error({ err }, 'collection cycle failed')), delay);
        this.timer.unref?.();
      }
    }
  }

  private async runCollectors(): Promise<Snapshot> {
    const takenAtMs = Date.now();
    const t0 = performance.now();
    const data: Partial<CollectedData> = {};
    const status: Partial<Record<CollectorName, CollectorStatus>> = {};
    const names = COLLECTOR_NAMES.filter((n) => this.collectors[n] !== undefined);
    // Each run's end, known before any run starts, so a collector can wait for its inputs
    // whatever the order of the list.
    const ends = new Map<CollectorName, () => void>();
    const ended = new Map(names.map((n) => [n, new Promise<void>((resolve) => ends.set(n, resolve))]));
    await Promise.all(names.map((name) => this.runOne(name, data, status, ended).finally(() => ends.get(name)!())));
    const snapshot: Snapshot = {
      sequence: ++this.sequence,
      takenAtMs,
      durationSeconds: (performance.now() - t0) / 1000,
      intervalSeconds: this.intervalMs / 1000,
      data,
      status,
      stuckReads: this.stuckReads(),
    };
    // Cut short by shutdown: its collectors did not time out, they were left; not worth serving.
    if (this.abandoned) return this.current ?? deepFreeze(snapshot);
    this.current = deepFreeze(snapshot);
    this.firstPublished?.resolve(this.current);
    return this.current;
  }

  private async runOne<K extends CollectorName>(
    name: K,
    data: Partial<CollectedData>,
    status: Partial<Record<CollectorName, CollectorStatus>>,
    ended: ReadonlyMap<CollectorName, Promise<void>>,
  ): Promise<void> {
    const collector = this.collectors[name] as CollectorSet[K];
    if (!collector) return;
    const previous = this.running.get(name);
    if (previous) {
      const seconds = ((Date.now() - previous.startedMs) / 1000).toFixed(1);
      this.fail(name, status, 0, `timeout: the previous run has not returned after ${seconds}s, so it was not started again${this.describeReads()}`, true);
      return;
    }
    const t0 = performance.now();
    const entry: Running = { startedMs: Date.now(), abandoned: false };
    this.running.set(name, entry);
    const inputs = (collector.inputs ?? []).filter(isCollectorName);
    const work = (async () => {
      if (inputs.length === 0) return collector.collect(this.ctx);
      const given = await inputResults(inputs, data, status, ended);
      // Left to itself at shutdown while it waited: it does not start.
      if (this.abandoned) throw new Error('shutting down');
      return collector.collect(this.ctx, given);
    })();
    const returned = (): void => {
      this.running.delete(name);
      if (entry.abandoned) this.log.info({ collector: name, after_s: Number(((Date.now() - entry.startedMs) / 1000).toFixed(1)) }, 'collector returned after its deadline; it runs again next cycle');
    };
    work.then(returned, returned);
    const outcome = await withDeadline(work, this.timeoutMs, this.stopping.signal);
    const durationSeconds = (performance.now() - t0) / 1000;
    switch (outcome.kind) {
      case 'done':
        data[name] = outcome.value as CollectedData[K];
        status[name] = { success: true, durationSeconds };
        if (this.failing.delete(name)) this.log.info({ collector: name }, 'collector recovered');
        return;
      case 'failed':
        this.fail(name, status, durationSeconds, errorMessage(outcome.error), false);
        return;
      case 'timeout':
        if (this.abandoned) return; // shutdown, not a timeout
        entry.abandoned = true;
        this.fail(name, status, durationSeconds, `timeout: did not return within ${this.timeoutMs / 1000}s (--collector.timeout)${this.describeReads()}`, true);
        return;
    }
  }

  private fail(name: CollectorName, status: Partial<Record<CollectorName, CollectorStatus>>, durationSeconds: number, message: string, timedOut: boolean): void {
    status[name] = { success: false, durationSeconds, error: message, ...(timedOut ? { timedOut } : {}) };
    // Log the first failure at error level and repeats at debug, so a broken file cannot flood the log.
    const first = !this.failing.has(name);
    this.failing.add(name);
    this.log[first ? 'error' : 'debug']({ collector: name, reason: timedOut ? 'timeout' : 'error', err: message }, 'collector failed');
  }

  /**
   * Reads under way for at least half the timeout. No single open or read of a procfs file takes
   * that long unless it hangs; younger ones belong to collectors still at work, not to one that
   * timed out.
   */
  stuckReads(): PendingRead[] {
    const now = Date.now();
    return this.reads.list().filter((r) => now - r.sinceMs >= this.timeoutMs / 2);
  }

  /** The stuck reads, for a timeout's message: the likeliest culprits. */
  private describeReads(): string {
    const now = Date.now();
    const reads = this.stuckReads();
    if (reads.length === 0) return '';
    return `; reads under way: ${reads.map((r) => `${r.op} ${r.path} for ${((now - r.sinceMs) / 1000).toFixed(1)}s`).join(', ')}`;
  }
}

/**
 * The results handed to a collector for its `inputs`, once each has ended this cycle: its data,
 * or why there is none (its failure, or "not enabled").
 */
async function inputResults(
  inputs: readonly CollectorName[],
  data: Partial<CollectedData>,
  status: Partial<Record<CollectorName, CollectorStatus>>,
  ended: ReadonlyMap<CollectorName, Promise<void>>,
): Promise<Partial<Record<CollectorName, InputResult<unknown>>>> {
  const out: Partial<Record<CollectorName, InputResult<unknown>>> = {};
  for (const input of inputs) {
    await ended.get(input);
    const value = data[input];
    out[input] = value !== undefined ? { ok: true, value } : { ok: false, reason: status[input]?.error ?? 'collector not enabled' };
  }
  return out;
}

function isCollectorName(name: string): name is CollectorName {
  return (COLLECTOR_NAMES as readonly string[]).includes(name);
}

/** Refuses inputs that name no collector, and chains (an input with inputs of its own): neither could ever be waited for safely. */
function checkInputs(collectors: CollectorSet): void {
  for (const name of COLLECTOR_NAMES) {
    for (const input of collectors[name]?.inputs ?? []) {
      if (!isCollectorName(input)) throw new Error(`collector ${name}: unknown input ${input}`);
      if ((collectors[input]?.inputs ?? []).length > 0) throw new Error(`collector ${name}: input ${input} has inputs of its own`);
    }
  }
}
