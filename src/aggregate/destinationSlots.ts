import type { SeriesHysteresis } from './portSeries.js';

/**
 * Rank slots 1..K for the reported destinations, stable across cycles: a destination keeps the
 * slot (its `rank` label) while it is reported, so a reshuffle of the top K mints no series.
 * Admission and release follow the port series' hysteresis (portSeries.ts): a destination enters
 * a free slot once it has ranked among the K busiest for `admitCycles` consecutive cycles (any
 * destination at the first cycle), and keeps it while it ranks among the 2K busiest at least once
 * every `keepCycles` cycles. With both 0 there is no memory: slot i is the i-th busiest of the cycle.
 *
 * Keys are the destination table's key words as a string; at most K slots and the K candidates
 * of the last cycle are kept, so the work per cycle is O(K).
 */
export class DestinationSlots {
  private readonly slots: Array<{ key: string; lastRanked: number } | null>;
  /** Consecutive cycles in the top K, of the destinations that were there last cycle. */
  private streaks = new Map<string, number>();
  private cycle = 0;

  constructor(
    k: number,
    private readonly hysteresis: SeriesHysteresis,
  ) {
    this.slots = new Array<{ key: string; lastRanked: number } | null>(k).fill(null);
  }

  /**
   * Takes this cycle's 2K busiest destinations, busiest first, and returns the key each slot
   * reports (null: an empty slot, not reported).
   */
  assign(ranked: readonly string[]): Array<string | null> {
    const c = ++this.cycle;
    const k = this.slots.length;
    const { admitCycles, keepCycles } = this.hysteresis;
    if (admitCycles === 0 && keepCycles === 0) return this.slots.map((_, i) => ranked[i] ?? null);
    const top = ranked.slice(0, k);
    const kept = new Set(keepCycles === 0 ? top : ranked);
    const streaks = new Map<string, number>();
    for (const key of top) streaks.set(key, (this.streaks.get(key) ?? 0) + 1);
    this.streaks = streaks;
    const inSlot = new Set<string>();
    for (let i = 0; i < this.slots.length; i++) {
      const s = this.slots[i];
      if (!s) continue;
      if (kept.has(s.key)) s.lastRanked = c;
      if (c - s.lastRanked > keepCycles) this.slots[i] = null;
      else inSlot.add(s.key);
    }
    for (const key of top) {
      if (inSlot.has(key) || (c > 1 && streaks.get(key)! < admitCycles)) continue;
      const free = this.slots.indexOf(null);
      if (free < 0) break;
      this.slots[free] = { key, lastRanked: c };
      inSlot.add(key);
    }
    return this.slots.map((s) => s?.key ?? null);
  }
}
