import type { SeriesHysteresis } from './portSeries.js';
import { SeriesSlots } from './seriesSlots.js';

/**
 * Rank slots 1..K for the reported destinations, stable across cycles: a destination keeps the
 * slot (its `rank` label) while it is reported, so a reshuffle of the top K mints no series.
 * Admission, keep and take-over follow SeriesSlots, with a destination's count of ports connect()
 * cannot reuse as its value and "in use" meaning it holds a port; with keepCycles 0 slot i is the
 * i-th busiest of the cycle.
 *
 * Keys are the destination table's key words as text; only the K slots and the K candidates of the
 * last cycle are kept, so the work per cycle is O(K²).
 */
export class DestinationSlots {
  private readonly slots: SeriesSlots<string>;
  /** Consecutive cycles among the K busiest, of the destinations that were there last cycle. */
  private streaks = new Map<string, number>();

  constructor(k: number, hysteresis: SeriesHysteresis) {
    this.slots = new SeriesSlots<string>(k, hysteresis);
  }

  /**
   * Takes this cycle's K busiest destinations, busiest first, with their counts, and the count of
   * any destination (null: it holds no port); returns the key each slot reports (null: empty).
   */
  assign(ranked: ReadonlyArray<{ key: string; value: number }>, valueOf: (key: string) => number | null): Array<string | null> {
    const streaks = new Map<string, number>();
    for (const { key } of ranked) streaks.set(key, (this.streaks.get(key) ?? 0) + 1);
    this.streaks = streaks;
    return this.slots.assign(ranked.map((r) => ({ ...r, streak: streaks.get(r.key)! })), valueOf);
  }
}
