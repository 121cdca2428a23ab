import type { CollectedData, CollectorName } from '../collectors/index.js';
import type { PendingRead } from '../sources/pendingReads.js';

export interface CollectorStatus {
  success: boolean;
  durationSeconds: number;
  /** Why the collector failed, for the log and the landing page. */
  error?: string;
  /**
   * Failed for reason "timeout": it did not return within --collector.timeout, or its previous
   * run still had not returned, so it was not started again.
   */
  timedOut?: boolean;
}

/**
 * Everything one collection cycle produced. Deep-frozen when published: scrapes read it
 * concurrently with the next cycle and must never see a half-written state.
 */
export interface Snapshot {
  /** Increases by one per cycle; lets consumers cache work per snapshot. */
  readonly sequence: number;
  /** When the cycle started, in ms since the epoch. */
  readonly takenAtMs: number;
  readonly durationSeconds: number;
  /** --collector.interval: a snapshot much older than this means collection is stuck. */
  readonly intervalSeconds: number;
  /** Only collectors that succeeded have an entry: a failed collector's old values are not kept. */
  readonly data: Readonly<Partial<CollectedData>>;
  readonly status: Readonly<Partial<Record<CollectorName, CollectorStatus>>>;
  /**
   * File reads under way for at least half of --collector.timeout when the cycle was published:
   * each was started by a collector that timed out (or earlier), and holds a pool thread.
   */
  readonly stuckReads: readonly PendingRead[];
}

export interface SnapshotReader {
  latest(): Snapshot | undefined;
  /**
   * Resolves with the first snapshot, at once if there is one: what a scrape that may wait
   * (within Prometheus' scrape timeout) waits for before the first collection has finished.
   * Readers that never collect leave it out.
   */
  first?(): Promise<Snapshot>;
}

export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
