import { formatAddress } from './formatAddress.js';

/** Words per key: four of address (network order, big-endian words), one of port | family << 16. */
export const KEY_WORDS = 5;
const IPV6_BIT = 0x10000;

/** A destination as reported: the remote end of outgoing connections. */
export interface Destination {
  family: 'ipv4' | 'ipv6';
  remoteAddress: string;
  remotePort: number;
}

/**
 * Words per table entry: the key, then the total (0 marks an empty slot) and its TIME_WAIT part,
 * then a spare word: 32 bytes, so a probe reads one cache line. Three arrays (keys, totals, TIME_WAIT
 * counts) made every counted socket touch three lines in three places, each of which the
 * kernel's walk between two datagrams may have evicted (docs/performance.md, "per-port state in
 * bytes and bits").
 */
const ENTRY_WORDS = 8;
/** Entries a table starts with. */
const INITIAL_SLOTS = 64;
const TOTAL = KEY_WORDS;
const TIME_WAIT = KEY_WORDS + 1;

/**
 * Per destination (remote address and port), the sockets holding a local port towards it, split
 * into TIME_WAIT and the rest, streaming and in fixed memory.
 *
 * Destinations live in an open-addressing table of 32-byte entries, kept at most half full: it
 * starts at 64 entries (2 KiB) and doubles as destinations come, up to twice `capacity` (0.5 MB at
 * 8,192), and keeps its size from one cycle to the next. Few destinations thus sit in a few pages
 * the CPU's caches and TLB keep between the kernel's datagrams, where a table of the full size
 * scattered them over 128 pages. A second table is allocated only if the table ever fills. On a
 * host with more distinct destinations than that, the table keeps the heavy hitters by the
 * Misra-Gries rule on the total (TIME_WAIT and other): a new destination that finds the table full
 * lowers every total by one and drops those at zero. Any destination holding more than
 * N / (capacity + 1) of the N counted sockets is then kept, and each count (total, TIME_WAIT,
 * other) is short by at most the number of such rounds (`decrements`). Exact below the capacity.
 */
export class DestinationTable {
  /** Slots of the table at its largest (twice the capacity, a power of two): what `slots` can grow to. */
  readonly maxSlots: number;
  /** Slots of the table now (a power of two). */
  slots = INITIAL_SLOTS;
  /** ENTRY_WORDS per slot: key, total, TIME_WAIT part, spare. */
  private entries: Uint32Array;
  /** The table a Misra-Gries round rehashes into; allocated on the first round only. */
  private spare: Uint32Array | undefined;
  /** Destinations in the table. */
  used = 0;
  /** Misra-Gries rounds since clear(): how many sockets any count may be short by. */
  decrements = 0;

  constructor(private readonly capacity: number) {
    let slots = 1;
    while (slots < capacity * 2) slots <<= 1;
    this.maxSlots = slots;
    this.slots = Math.min(INITIAL_SLOTS, slots);
    this.entries = new Uint32Array(this.slots * ENTRY_WORDS);
  }

  clear(): void {
    if (this.used > 0 || this.decrements > 0) this.entries.fill(0);
    this.used = 0;
    this.decrements = 0;
  }

  /** Counts one socket towards the destination in `k` (KEY_WORDS words). */
  count(k: Uint32Array, timeWait: boolean): void {
    const e = this.entries;
    const o = find(e, this.slots, k, 0) * ENTRY_WORDS;
    if (e[o + TOTAL]! > 0) {
      e[o + TOTAL]!++;
      if (timeWait) e[o + TIME_WAIT]!++;
      return;
    }
    if (this.used >= this.capacity) {
      this.decrementAll();
      // The newcomer's own count is spent by the round, as the Misra-Gries rule has it.
      return;
    }
    if ((this.used + 1) * 2 > this.slots && this.slots < this.maxSlots) {
      this.grow();
      this.count(k, timeWait);
      return;
    }
    e.set(k.subarray(0, KEY_WORDS), o);
    e[o + TOTAL] = 1;
    e[o + TIME_WAIT] = timeWait ? 1 : 0;
    this.used++;
  }

  /** Doubles the table, every entry rehashed into its slot there. */
  private grow(): void {
    const from = this.entries;
    this.slots *= 2;
    const to = new Uint32Array(this.slots * ENTRY_WORDS);
    for (let o = 0; o < from.length; o += ENTRY_WORDS) {
      if (from[o + TOTAL] === 0) continue;
      to.set(from.subarray(o, o + ENTRY_WORDS), find(to, this.slots, from, o) * ENTRY_WORDS);
    }
    this.entries = to;
    this.spare = undefined;
  }

  /** Sockets counted for the slot (0: empty). */
  totalAt(slot: number): number {
    return this.entries[slot * ENTRY_WORDS + TOTAL]!;
  }

  timeWaitAt(slot: number): number {
    return this.entries[slot * ENTRY_WORDS + TIME_WAIT]!;
  }

  /** Whether the slot's address is loopback as tcp_twsk_unique() tests it (see isLoopbackKey). */
  isLoopback(slot: number): boolean {
    return isLoopbackKey(this.entries, slot * ENTRY_WORDS);
  }

  /** The slot's key words as text, stable across cycles: how DestinationSlots names a destination. */
  keyText(slot: number): string {
    return Array.from(this.entries.subarray(slot * ENTRY_WORDS, slot * ENTRY_WORDS + KEY_WORDS)).join(',');
  }

  /** The slot holding the destination whose keyText is `text`, or -1 when it is not in the table. */
  slotOfText(text: string): number {
    const slot = find(this.entries, this.slots, keyOfText(text), 0);
    return this.totalAt(slot) === 0 ? -1 : slot;
  }

  /** Key order: family (IPv4 first), then address, then port; negative when a comes first. */
  compareKeys(a: number, b: number): number {
    const e = this.entries;
    const ka = a * ENTRY_WORDS;
    const kb = b * ENTRY_WORDS;
    const fa = e[ka + 4]! >>> 16;
    const fb = e[kb + 4]! >>> 16;
    if (fa !== fb) return fa - fb;
    for (let i = 0; i < KEY_WORDS; i++) {
      const x = e[ka + i]!;
      const y = e[kb + i]!;
      if (x !== y) return x < y ? -1 : 1;
    }
    return 0;
  }

  destinationAt(slot: number): Destination {
    return destinationOfKey(this.entries, slot * ENTRY_WORDS);
  }

  /**
   * One Misra-Gries round: every total minus one, rehashed into the spare table without the
   * zeros. The one taken off a total comes off its non-TIME_WAIT part while it has one, so both
   * parts stay within `decrements` of the truth.
   */
  private decrementAll(): void {
    this.decrements++;
    const from = this.entries;
    const to = (this.spare ??= new Uint32Array(from.length));
    to.fill(0);
    let used = 0;
    for (let o = 0; o < from.length; o += ENTRY_WORDS) {
      const c = from[o + TOTAL]!;
      if (c <= 1) continue;
      const at = find(to, this.slots, from, o) * ENTRY_WORDS;
      to.set(from.subarray(o, o + KEY_WORDS), at);
      to[at + TOTAL] = c - 1;
      to[at + TIME_WAIT] = Math.min(from[o + TIME_WAIT]!, c - 1);
      used++;
    }
    this.entries = to;
    this.spare = from;
    this.used = used;
  }
}

/**
 * The slot of `entries` (`slots` of them, a power of two) holding the key at k[from..], or the
 * empty slot where it belongs (linear probing).
 */
function find(entries: Uint32Array, slots: number, k: Uint32Array, from: number): number {
  const mask = slots - 1;
  let h = 0x811c9dc5;
  for (let i = from; i < from + KEY_WORDS; i++) h = Math.imul(h ^ k[i]!, 0x01000193);
  h ^= h >>> 15;
  for (let slot = h & mask; ; slot = (slot + 1) & mask) {
    const o = slot * ENTRY_WORDS;
    if (entries[o + TOTAL] === 0) return slot;
    if (entries[o] === k[from] && entries[o + 1] === k[from + 1] && entries[o + 2] === k[from + 2] && entries[o + 3] === k[from + 3] && entries[o + 4] === k[from + 4]) return slot;
  }
}

/** The words of a key from its keyText. */
export function keyOfText(text: string): Uint32Array {
  return Uint32Array.from(text.split(',').map(Number));
}

/** The destination a key (KEY_WORDS words at `o`) stands for. */
export function destinationOfKey(keys: Uint32Array, o: number): Destination {
  const w4 = keys[o + 4]!;
  const family = w4 & IPV6_BIT ? 'ipv6' : 'ipv4';
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 4; i++) {
    const w = keys[o + i]!;
    bytes[i * 4] = w >>> 24;
    bytes[i * 4 + 1] = (w >>> 16) & 0xff;
    bytes[i * 4 + 2] = (w >>> 8) & 0xff;
    bytes[i * 4 + 3] = w & 0xff;
  }
  return { family, remoteAddress: formatAddress(family, bytes), remotePort: w4 & 0xffff };
}

/**
 * Whether a key's address is loopback as the kernel's tcp_twsk_unique() tests it for
 * tcp_tw_reuse = 2: 127.0.0.0/8, ::1, or ::ffff:127.0.0.0/104.
 */
export function isLoopbackKey(k: Uint32Array, o: number): boolean {
  if ((k[o + 4]! & IPV6_BIT) === 0) return k[o]! >>> 24 === 127;
  if (k[o] !== 0 || k[o + 1] !== 0) return false;
  return (k[o + 2] === 0 && k[o + 3] === 1) || (k[o + 2] === 0xffff && k[o + 3]! >>> 24 === 127);
}
