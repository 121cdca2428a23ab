import { SeriesSlots, type SeriesHysteresis } from './seriesSlots.js';

export type { SeriesHysteresis };

const PORTS = 65536;

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
 * Chooses which ports of one role get a label value of their own, cycle after cycle: at most `cap`
 * ports hold a slot (SeriesSlots: admission after admitCycles cycles in use, kept while in use,
 * taken over only by a port twice as busy), pinned ports come on top and never fold, and with
 * fold mode ports inside the ephemeral range never get a slot (kernel-chosen ports change with
 * every listen(0) or restart): they are summed in "ephemeral".
 *
 * Per-port state lives in fixed typed arrays (~0.5 MB, only the pages of ports in use become
 * resident); per cycle the work is a sort of the ports in use, as without hysteresis.
 */
export class PortSeriesSelector {
  private readonly pinned: ReadonlySet<number>;
  /** Per port: the last cycle it was in use and its run of consecutive cycles in use. */
  private readonly lastInUse = new Uint32Array(PORTS);
  private readonly streak = new Uint32Array(PORTS);
  private readonly slots: SeriesSlots<number>;
  private cycle = 0;

  constructor(
    private readonly cap: number,
    pinned: readonly number[],
    hysteresis: SeriesHysteresis,
  ) {
    this.pinned = new Set(pinned);
    this.slots = new SeriesSlots<number>(cap, hysteresis);
  }

  /**
   * One cycle's selection. `total(port)` is the port's socket count; `inUse` lists the ports in
   * use (each once); `isEphemeral` is given in fold mode.
   */
  select(total: (port: number) => number, inUse: ArrayLike<number>, isEphemeral: ((port: number) => boolean) | null): PortSelection {
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
    // A named port the range now covers (the range changed) is folded from now on.
    if (isEphemeral !== null) this.slots.release(isEphemeral);
    candidates.sort((a, b) => total(b) - total(a) || a - b);
    const ranked = candidates.slice(0, Math.max(0, this.cap)).map((port) => ({ key: port, value: total(port), streak: this.streak[port]! }));
    const held = new Set<number>();
    for (const port of this.slots.assign(ranked, (port) => (this.lastInUse[port] === c ? total(port) : null))) if (port !== null) held.add(port);
    const named = [...this.pinned, ...held].sort((a, b) => a - b);
    return { named, folded: candidates.filter((p) => !held.has(p)), ephemeral };
  }
}
