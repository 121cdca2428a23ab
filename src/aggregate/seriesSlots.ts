import type { SeriesHysteresis } from './portSeries.js';

/** A candidate of one cycle: its key, its count this cycle, and its consecutive cycles in use. */
export interface Candidate<K> {
  key: K;
  value: number;
  streak: number;
}

interface Slot<K> {
  key: K;
  /** The cycle it took the slot. */
  since: number;
  /** The last cycle it was in use. */
  lastInUse: number;
  /** Its highest count, halving every keepCycles cycles. */
  peak: number;
}

/**
 * `cap` slots, each holding the key (a port, a destination) that gets series of its own, kept so
 * that keys change hands rarely (each change is a new series in every TSDB that scrapes us):
 *
 * - admission: a key enters a free slot once it has been in use for `admitCycles` consecutive
 *   cycles and ranks among the `cap` busiest (at the first cycle, at once);
 * - a key keeps its slot while it is in use, and for `keepCycles` cycles after its last use;
 * - a busier key takes a slot from one that has held it for `keepCycles` cycles or more when it
 *   qualifies for admission and has at least twice the other's peak (its highest count, halving
 *   every keepCycles cycles), so a new heavy hitter is never locked out by quieter keys;
 * - with keepCycles 0 there is no memory: the slots are the `cap` busiest of the cycle that are
 *   admitted, busiest first.
 *
 * A slot therefore changes hands at most once every keepCycles cycles. Per cycle the work is
 * O(cap x candidates considered), with at most `cap` challengers; no state outside the slots.
 */
export class SeriesSlots<K> {
  private readonly slots: Array<Slot<K> | null>;
  private readonly decay: number;
  private cycle = 0;

  constructor(
    cap: number,
    private readonly hysteresis: SeriesHysteresis,
  ) {
    this.slots = new Array<Slot<K> | null>(Math.max(0, cap)).fill(null);
    this.decay = hysteresis.keepCycles > 0 ? 0.5 ** (1 / hysteresis.keepCycles) : 0;
  }

  /** Frees the slots of keys that may no longer be named (e.g. a port the ephemeral range now covers). */
  release(drop: (key: K) => boolean): void {
    for (let i = 0; i < this.slots.length; i++) if (this.slots[i] && drop(this.slots[i]!.key)) this.slots[i] = null;
  }

  /**
   * One cycle. `ranked`: the candidates, busiest first (at least the `cap` busiest);
   * `valueOf(key)`: an incumbent's count this cycle, null when it is not in use.
   * Returns each slot's key, null for an empty slot.
   */
  assign(ranked: readonly Candidate<K>[], valueOf: (key: K) => number | null): Array<K | null> {
    const c = ++this.cycle;
    const cap = this.slots.length;
    const { admitCycles, keepCycles } = this.hysteresis;
    const admitted = (x: Candidate<K>): boolean => c === 1 || x.streak >= admitCycles;
    if (keepCycles === 0) {
      const top = ranked.slice(0, cap).filter(admitted);
      for (let i = 0; i < cap; i++) this.slots[i] = top[i] ? { key: top[i]!.key, since: c, lastInUse: c, peak: top[i]!.value } : null;
      return this.slots.map((s) => s?.key ?? null);
    }
    const held = new Set<K>();
    for (let i = 0; i < cap; i++) {
      const s = this.slots[i];
      if (!s) continue;
      const v = valueOf(s.key);
      s.peak *= this.decay;
      if (v !== null) {
        s.lastInUse = c;
        if (v > s.peak) s.peak = v;
      }
      if (c - s.lastInUse > keepCycles) this.slots[i] = null;
      else held.add(s.key);
    }
    for (const x of ranked.slice(0, cap)) {
      if (held.has(x.key) || !admitted(x)) continue;
      let to = this.slots.indexOf(null);
      if (to < 0) to = this.weakest(c, x.value);
      if (to < 0) continue;
      this.slots[to] = { key: x.key, since: c, lastInUse: c, peak: x.value };
      held.add(x.key);
    }
    return this.slots.map((s) => s?.key ?? null);
  }

  /** The slot a challenger with `value` may take: the lowest peak among those held keepCycles or more, if value is at least twice it; else -1. */
  private weakest(c: number, value: number): number {
    let at = -1;
    for (let i = 0; i < this.slots.length; i++) {
      const s = this.slots[i]!;
      if (c - s.since < this.hysteresis.keepCycles) continue;
      if (at < 0 || s.peak < this.slots[at]!.peak) at = i;
    }
    return at >= 0 && value > 0 && value >= 2 * this.slots[at]!.peak ? at : -1;
  }
}
