const PORTS = 65536;

/**
 * How long a port or destination must be busy before it gets series of its own, and how long it
 * keeps them, in collection cycles. Both 0: the busiest K of each cycle, with no memory.
 */
export interface SeriesHysteresis {
  /** Consecutive cycles in use before a newcomer is named (ports in use at the first cycle are named at once). */
  admitCycles: number;
  /** Cycles a named port keeps its series after the last cycle it was among the 2K busiest. */
  keepCycles: number;
}

export const DEFAULT_SERIES_HYSTERESIS: SeriesHysteresis = { admitCycles: 4, keepCycles: 40 };
export const NO_SERIES_HYSTERESIS: SeriesHysteresis = { admitCycles: 0, keepCycles: 0 };

/** The ports of one role sorted into label values: by number, "other" or "ephemeral". */
export interface PortSelection {
  /** Reported by number, ascending: the pinned ports and those holding a slot. */
  named: readonly number[];
  /** In use, not named: summed into port="other". */
  folded: readonly number[];
  /** In use inside the ephemeral range, not pinned: summed into port="ephemeral" (fold mode only). */
  ephemeral: readonly number[];
}

/**
 * Chooses which ports of one role get a label value of their own, cycle after cycle, so that the
 * set of label values changes rarely (each change is a new series in every TSDB that scrapes us):
 *
 * - at most `cap` ports hold a slot (pinned ports come on top and never fold);
 * - a port is admitted to a free slot when it ranks among the `cap` busiest of the cycle and has
 *   been in use for `admitCycles` consecutive cycles (any rank at the first cycle);
 * - a port keeps its slot while it ranks among the 2 x `cap` busiest at least once every
 *   `keepCycles` cycles; a newcomer waits for a free slot meanwhile, its sockets in "other";
 * - with `foldEphemeral`, ports inside the ephemeral range never get a slot (kernel-chosen ports
 *   change with every listen(0) or restart): they are summed in "ephemeral".
 *
 * So each slot changes hands at most once per keepCycles + 1 cycles. Per-port state lives in
 * fixed typed arrays (~0.5 MB, only the pages of ports in use become resident); per cycle the
 * work is a sort of the ports in use, as without hysteresis.
 */
export class PortSeriesSelector {
  private readonly pinned: ReadonlySet<number>;
  /** Per port: the last cycle it was in use, its run of consecutive cycles in use, and the last cycle it ranked in the top 2 x `cap`. */
  private readonly lastInUse = new Uint32Array(PORTS);
  private readonly streak = new Uint32Array(PORTS);
  private readonly lastRanked = new Uint32Array(PORTS);
  private slots: number[] = [];
  private cycle = 0;

  constructor(
    private readonly cap: number,
    pinned: readonly number[],
    private readonly hysteresis: SeriesHysteresis,
  ) {
    this.pinned = new Set(pinned);
  }

  /**
   * One cycle's selection. `totals[port]` is the port's socket count; `inUse` lists the ports in
   * use (each once); `isEphemeral` is given in fold mode.
   */
  select(totals: Uint32Array, inUse: ArrayLike<number>, isEphemeral: ((port: number) => boolean) | null): PortSelection {
    const c = ++this.cycle;
    const candidates: number[] = [];
    const ephemeral: number[] = [];
    for (let i = 0; i < inUse.length; i++) {
      const port = inUse[i]!;
      if (this.pinned.has(port)) continue;
      if (isEphemeral !== null && isEphemeral(port)) {
        ephemeral.push(port);
        continue;
      }
      this.streak[port] = this.lastInUse[port] === c - 1 ? this.streak[port]! + 1 : 1;
      this.lastInUse[port] = c;
      candidates.push(port);
    }
    candidates.sort((a, b) => totals[b]! - totals[a]! || a - b);
    const ranked = candidates.slice(0, Math.max(0, this.cap));
    const { admitCycles, keepCycles } = this.hysteresis;
    // Enter among the `cap` busiest, stay among the 2 x `cap` busiest: ports of similar counts
    // around the cut do not trade places (without keep cycles, the top `cap` of each cycle).
    const band = keepCycles === 0 ? this.cap : 2 * this.cap;
    for (let i = 0; i < candidates.length && i < band; i++) this.lastRanked[candidates[i]!] = c;

    const held = new Set<number>();
    // A slot whose port left the top 2 x `cap` more than keepCycles ago is freed (also a port no longer
    // in use, or, in fold mode, one the range now covers).
    this.slots = this.slots.filter((port) => c - this.lastRanked[port]! <= keepCycles && !(isEphemeral !== null && isEphemeral(port)));
    for (const port of this.slots) held.add(port);
    for (const port of ranked) {
      if (this.slots.length >= this.cap) break;
      if (held.has(port) || (c > 1 && this.streak[port]! < admitCycles)) continue;
      this.slots.push(port);
      held.add(port);
    }
    const named = [...this.pinned, ...this.slots].sort((a, b) => a - b);
    return { named, folded: candidates.filter((p) => !held.has(p)), ephemeral };
  }
}
