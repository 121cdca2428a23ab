const PORTS = 65536;

/**
 * Dense slot numbers for the ports in use in a cycle, in the order first seen: per-port figures
 * then live in arrays indexed by slot, whose size follows the ports in use, not the port space
 * (the port-to-slot index is 256 KiB, of which only the pages of ports in use become resident).
 * The caller owns the per-slot arrays and grows them when add() asks: one generic class holding
 * the figures too, u32 for some callers and float64 for others, made the socket walk's hot
 * accesses polymorphic (measured: 20–30 ms more user time a 1M-socket cycle, two runs alternating
 * with the build before).
 */
export class PortSlots {
  /** Slot + 1 of each port in use, 0 for none. */
  private readonly slotOf = new Uint32Array(PORTS);
  private portOf: Uint16Array;
  private used = 0;

  constructor(initialSlots: number) {
    this.portOf = new Uint16Array(initialSlots);
  }

  /** The port's slot, or -1 when it is not in use this cycle. */
  find(port: number): number {
    return this.slotOf[port]! - 1;
  }

  /**
   * The port's slot, a new one if it is not in use yet. When every slot is taken, `grow(slots)` is
   * called first with the new number of slots (twice the old), for the caller to grow its per-slot
   * arrays to.
   */
  slotFor(port: number, grow: (slots: number) => void): number {
    const slot = this.slotOf[port]! - 1;
    return slot >= 0 ? slot : this.add(port, grow);
  }

  private add(port: number, grow: (slots: number) => void): number {
    if (this.used === this.portOf.length) {
      const portOf = new Uint16Array(this.portOf.length * 2);
      portOf.set(this.portOf);
      this.portOf = portOf;
      grow(portOf.length);
    }
    const slot = this.used++;
    this.portOf[slot] = port;
    this.slotOf[port] = slot + 1;
    return slot;
  }

  /** The ports in use, slot by slot (the order first seen). */
  ports(): Uint16Array {
    return this.portOf.subarray(0, this.used);
  }

  /** Slots in use. */
  get size(): number {
    return this.used;
  }

  /** Frees every slot (a new cycle). */
  reset(): void {
    for (let i = 0; i < this.used; i++) this.slotOf[this.portOf[i]!] = 0;
    this.used = 0;
  }
}
