import type { Log } from '../model/log.js';
import type { CollectContext } from '../collectors/collector.js';
import { COLLECTOR_NAMES, type CollectedData, type CollectorName, type CollectorSet } from '../collectors/index.js';
import { deepFreeze, type CollectorStatus, type Snapshot, type SnapshotReader } from './snapshot.js';

/**
 * Runs the collectors every `intervalMs` and publishes an immutable snapshot. The next cycle is
 * scheduled only after the current one ends, so cycles never overlap however slow the kernel
 * walk is; a cycle that overruns the interval is followed by the next one at once.
 */
export class SnapshotPoller implements SnapshotReader {
  private current: Snapshot | undefined;
  private inFlight: Promise<Snapshot> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private sequence = 0;
  private stopped = false;
  private readonly failing = new Set<CollectorName>();
  private firstPublished: { promise: Promise<Snapshot>; resolve: (s: Snapshot) => void } | undefined;

  constructor(
    private readonly collectors: CollectorSet,
    private readonly ctx: CollectContext,
    private readonly intervalMs: number,
    private readonly log: Log = ctx.log,
  ) {}

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

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.inFlight) await this.inFlight.catch(() => undefined);
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
    await Promise.all(names.map((name) => this.runOne(name, data, status)));
    const snapshot: Snapshot = {
      sequence: ++this.sequence,
      takenAtMs,
      durationSeconds: (performance.now() - t0) / 1000,
      intervalSeconds: this.intervalMs / 1000,
      data,
      status,
    };
    this.current = deepFreeze(snapshot);
    this.firstPublished?.resolve(this.current);
    return this.current;
  }

  private async runOne<K extends CollectorName>(
    name: K,
    data: Partial<CollectedData>,
    status: Partial<Record<CollectorName, CollectorStatus>>,
  ): Promise<void> {
    const collector = this.collectors[name] as CollectorSet[K];
    if (!collector) return;
    const t0 = performance.now();
    try {
      data[name] = (await collector.collect(this.ctx)) as CollectedData[K];
      status[name] = { success: true, durationSeconds: (performance.now() - t0) / 1000 };
      if (this.failing.delete(name)) this.log.info({ collector: name }, 'collector recovered');
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      status[name] = { success: false, durationSeconds: (performance.now() - t0) / 1000, error: message };
      // Log the first failure at error level and repeats at debug, so a broken file cannot flood the log.
      const first = !this.failing.has(name);
      this.failing.add(name);
      this.log[first ? 'error' : 'debug']({ collector: name, err: message }, 'collector failed');
    }
  }
}
