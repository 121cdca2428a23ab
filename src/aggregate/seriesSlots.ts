/**
 * How long a port or destination must be busy before it gets series of its own, and how long it
 * keeps them, in collection cycles (SeriesSlots has the rules). keepCycles 0: the busiest K of
 * each cycle, with no memory.
 */
export interface SeriesHysteresis {
  /** Consecutive cycles in use (and among the K busiest) before a newcomer is named; those in use at the first cycle are named at once. */
  admitCycles: number;
  /**
   * Cycles a named port keeps its series after its last use, and the least it holds them before a
   * busier one may take them; for destinations also the run among the K busiest that one twice as
   * busy needs before it takes a slot (DestinationSlots).
   */
  keepCycles: number;
}

/** A candidate of one cycle: its key, its count this cycle, and its consecutive cycles in use. */
export interface Candidate<K> {
  key: K;
  value: number;
  streak: number;
}

/** A slot's holder as a take-over rule sees it. */
export interface Holder {
  /** Its highest count, halving every keepCycles cycles. */
  peak: number;
  /** Cycles since it took the slot. */
  heldFor: number;
}

/**
 * Whether an admitted challenger (one of this cycle's K busiest, not holding a slot) may take a
 * holder's slot. Of the slots it may take, it takes the one with the lowest peak.
 */
export type TakeOverRule<K> = (challenger: Candidate<K>, holder: Holder) => boolean;

/**
 * The port rule: a challenger at least twice the holder's peak takes a slot held keepCycles
 * cycles or more, so a slot changes hands at most once every keepCycles cycles and keys of
 * similar counts never trade places.
 */
export function twiceThePeak(keepCycles: number): TakeOverRule<unknown> {
  return (x, h) => h.heldFor >= keepCycles && x.value > 0 && x.value >= 2 * h.peak;
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
 * - when no slot is free, a key that qualifies for admission takes the slot of a holder only as
 *   `takeOver` allows (default: twiceThePeak), so a new heavy hitter is never locked out by
 *   quieter keys;
 * - with keepCycles 0 there is no memory: the slots are the `cap` busiest of the cycle that are
 *   admitted, busiest first.
 *
 * Per cycle the work is O(cap x candidates considered), with at most `cap` challengers; no state
 * outside the slots.
 */
export class SeriesSlots<K> {
  private readonly slots: Array<Slot<K> | null>;
  private readonly decay: number;
  private readonly takeOver: TakeOverRule<K>;
  private cycle = 0;

  constructor(
    cap: number,
    private readonly hysteresis: SeriesHysteresis,
    takeOver?: TakeOverRule<K>,
  ) {
    this.slots = new Array<Slot<K> | null>(Math.max(0, cap)).fill(null);
    this.decay = hysteresis.keepCycles > 0 ? 0.5 ** (1 / hysteresis.keepCycles) : 0;
    this.takeOver = takeOver ?? twiceThePeak(hysteresis.keepCycles);
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
      if (to < 0) to = this.weakest(c, x);
      if (to < 0) continue;
      this.slots[to] = { key: x.key, since: c, lastInUse: c, peak: x.value };
      held.add(x.key);
    }
    return this.slots.map((s) => s?.key ?? null);
  }

  /** The slot `x` may take with the lowest peak, or -1. */
  private weakest(c: number, x: Candidate<K>): number {
    let at = -1;
    for (let i = 0; i < this.slots.length; i++) {
      const s = this.slots[i]!;
      if (at >= 0 && s.peak >= this.slots[at]!.peak) continue;
      if (this.takeOver(x, { peak: s.peak, heldFor: c - s.since })) at = i;
    }
    return at;
  }
}
