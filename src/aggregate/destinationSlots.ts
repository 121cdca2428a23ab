import { SeriesSlots, type Candidate, type Holder, type SeriesHysteresis } from './seriesSlots.js';

/**
 * Rank slots 1..K for the reported destinations, stable across cycles: a destination keeps the
 * slot (its `rank` label) while it is reported, so a reshuffle of the top K mints no series.
 * Admission and keep follow SeriesSlots, with a destination's count of ports connect() cannot
 * reuse as its value and "in use" meaning it holds a port; with keepCycles 0 slot i is the i-th
 * busiest of the cycle. When every slot is taken, a destination that qualifies for admission
 * takes the slot of the holder with the lowest peak (its highest count, halving every keepCycles
 * cycles) in one of two ways:
 *
 * - **running out**: at most half the usable ports left that the holder had left at its peak
 *   (so past half the usable range), the holder having held the slot admitCycles cycles: named
 *   within admitCycles cycles. A destination at the pressure alert's 80 % gets in over any
 *   holder below 60 %, at 95 % over any below 90 %;
 * - **busier for good**: at least twice the holder's peak, having ranked among the K busiest for
 *   keepCycles consecutive cycles (the holders outside the top K were outranked that long), the
 *   holder having held the slot keepCycles cycles.
 *
 * Why not twice the peak at admission, as ports are taken over: destinations of interchangeable
 * sizes that are drawn anew every few cycles (a uniform pool-size workload) put one at twice the
 * weakest holder's decayed peak now and then, for a cycle or a draw, and each such take-over is
 * a new series (1.8x the live series in `npm run bench:churn -- 300 uniform`). Twice as busy
 * among a few ports each is chance; a destination near the end of its ports is not, and its
 * usage ratio, not its rank, is what the alerts read. The exact worst ratio is served apart
 * (tcpstate_ephemeral_port_worst_destination_ratio), whatever the slots hold.
 *
 * Churn: a slot changes hands once every keepCycles cycles at most when busier for good, and
 * once every admitCycles cycles at most when running out, each time to a destination with at most
 * half the ports left of the one it replaces.
 *
 * Keys are the destination table's key words as text; only the K slots and the K candidates of the
 * last cycle are kept, so the work per cycle is O(K²).
 */
export class DestinationSlots {
  private readonly slots: SeriesSlots<string>;
  /** Consecutive cycles among the K busiest, of the destinations that were there last cycle. */
  private streaks = new Map<string, number>();
  /** This cycle's usable ports: what "running out" is measured against. */
  private usable = 0;

  constructor(k: number, hysteresis: SeriesHysteresis) {
    const { admitCycles, keepCycles } = hysteresis;
    const runningOut = (x: Candidate<string>, h: Holder): boolean =>
      h.heldFor >= admitCycles && x.value > h.peak && this.usable - x.value <= (this.usable - h.peak) / 2;
    const busierForGood = (x: Candidate<string>, h: Holder): boolean =>
      x.streak >= keepCycles && h.heldFor >= keepCycles && x.value > 0 && x.value >= 2 * h.peak;
    this.slots = new SeriesSlots<string>(k, hysteresis, (x, h) => runningOut(x, h) || busierForGood(x, h));
  }

  /**
   * Takes this cycle's K busiest destinations, busiest first, with their counts, the count of any
   * destination (null: it holds no port) and the usable ports of the range; returns the key each
   * slot reports (null: empty).
   */
  assign(ranked: ReadonlyArray<{ key: string; value: number }>, valueOf: (key: string) => number | null, usablePorts: number): Array<string | null> {
    const streaks = new Map<string, number>();
    for (const { key } of ranked) streaks.set(key, (this.streaks.get(key) ?? 0) + 1);
    this.streaks = streaks;
    this.usable = usablePorts;
    return this.slots.assign(ranked.map((r) => ({ ...r, streak: streaks.get(r.key)! })), valueOf);
  }
}
