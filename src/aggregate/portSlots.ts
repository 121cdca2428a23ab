/**
 * Read-only port-to-slot lookups: what a module whose per-port figures follow another's slots
 * needs (TcpInfoAggregator keeps its figures by the socket aggregator's slots, so a socket costs
 * one port lookup, not one per aggregator).
 */
export interface PortIndex {
  /** The port's slot, or -1 when it is not in use this cycle. */
  find(port: number): number;
  /** The ports in use, slot by slot (the order first seen). */
  ports(): Uint16Array;
}

/**
 * Dense slot numbers for the ports in use in a cycle, in the order first seen: per-port figures
 * then live in arrays indexed by slot, whose size follows the ports in use, not the port space.
 * The caller owns the per-slot arrays and grows them when slotFor() asks: one generic class
 * holding the figures too, u32 for some callers and float64 for others, made the socket walk's
 * hot accesses polymorphic (measured: 20–30 ms more user time a 1M-socket cycle, two runs
 * alternating with the build before).
 *
 * The port-to-slot index is an open-addressing hash table of slot + 1 (0: empty; an entry's port
 * is portOf[slot], which a lookup compares), kept at most half full: 4 KiB for a few hundred ports. A socket's lookup is
 * one of the lookups of every socket of a walk, and the kernel's fill of the next datagram
 * between two of ours evicts from the CPU's caches and TLB what it can: a few hundred ports'
 * entries in a few lines of one page stay, where an array indexed by port (256 KiB) put each in
 * a line of its own over 64 pages (measured: docs/performance.md, "one port lookup").
 */
export class PortSlots implements PortIndex {
  private table: Uint32Array;
  /** 32 - log2(table size): the top bits of the multiplicative hash index the table. */
  private shift: number;
  private portOf: Uint16Array;
  private used = 0;

  constructor(initialSlots: number) {
    this.portOf = new Uint16Array(initialSlots);
    this.table = new Uint32Array(tableSizeFor(initialSlots));
    this.shift = 32 - Math.log2(this.table.length);
  }

  /** The port's slot, or -1 when it is not in use this cycle. */
  find(port: number): number {
    return this.table[this.entryOf(port)]! - 1;
  }

  /**
   * The port's slot, a new one if it is not in use yet. When every slot is taken, `grow(slots)` is
   * called first with the new number of slots (twice the old), for the caller to grow its per-slot
   * arrays to.
   */
  slotFor(port: number, grow: (slots: number) => void): number {
    const at = this.entryOf(port);
    const e = this.table[at]!;
    return e !== 0 ? e - 1 : this.add(port, at, grow);
  }

  /**
   * The table entry holding `port`'s slot, or the empty entry where it would go: the one probe
   * (linear, from the port's hash) that lookups, insertion and rehashing share.
   */
  private entryOf(port: number): number {
    const t = this.table;
    const mask = t.length - 1;
    let i = hash(port, this.shift);
    for (let e = t[i]!; e !== 0 && this.portOf[e - 1] !== port; e = t[i]!) i = (i + 1) & mask;
    return i;
  }

  /** A slot for `port`, whose entry goes at `at` of the table unless the table grows first. */
  private add(port: number, at: number, grow: (slots: number) => void): number {
    if (this.used === this.portOf.length) {
      const portOf = new Uint16Array(this.portOf.length * 2);
      portOf.set(this.portOf);
      this.portOf = portOf;
      grow(portOf.length);
      this.rehash(tableSizeFor(portOf.length));
      at = this.entryOf(port);
    }
    const slot = this.used++;
    this.portOf[slot] = port;
    this.table[at] = slot + 1;
    return slot;
  }

  /** A table of `size` entries holding the slots in use (ports are distinct: each probe ends at an empty entry). */
  private rehash(size: number): void {
    this.table = new Uint32Array(size);
    this.shift = 32 - Math.log2(size);
    for (let slot = 0; slot < this.used; slot++) this.table[this.entryOf(this.portOf[slot]!)] = slot + 1;
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
    this.table.fill(0);
    this.used = 0;
  }
}

/** Entries of a table for `slots` slots: a power of two, at least twice as many. */
function tableSizeFor(slots: number): number {
  let size = 16;
  while (size < slots * 2) size *= 2;
  return size;
}

/** Fibonacci hashing: the top bits of port x 2^32 / phi, spreading neighbouring ports apart. */
function hash(port: number, shift: number): number {
  return Math.imul(port, 0x9e3779b1) >>> shift;
}
