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
 * Per destination (remote address and port), the sockets holding a local port towards it, split
 * into TIME_WAIT and the rest, streaming and in fixed memory.
 *
 * Destinations live in a fixed open-addressing table of `capacity` keys (typed arrays, ~0.5 MB at
 * 8,192; a second one is allocated only if the table ever fills). On a host with more distinct
 * destinations than that, the table keeps the heavy hitters by the Misra-Gries rule on the total
 * (TIME_WAIT and other): a new destination that finds the table full lowers every total by one
 * and drops those at zero. Any destination holding more than N / (capacity + 1) of the N counted
 * sockets is then kept, and each count (total, TIME_WAIT, other) is short by at most the number
 * of such rounds (`decrements`). Exact below the capacity.
 */
export class DestinationTable {
  readonly slots: number;
  private keys: Uint32Array;
  /** Sockets per slot, any state; 0 marks an empty slot. */
  private totals: Uint32Array;
  /** The TIME_WAIT part of each total. */
  private timeWaits: Uint32Array;
  /** The tables a Misra-Gries round rehashes into; allocated on the first round only. */
  private spare: { keys: Uint32Array; totals: Uint32Array; timeWaits: Uint32Array } | undefined;
  /** Destinations in the table. */
  used = 0;
  /** Misra-Gries rounds since clear(): how many sockets any count may be short by. */
  decrements = 0;

  constructor(private readonly capacity: number) {
    let slots = 1;
    while (slots < capacity * 2) slots <<= 1;
    this.slots = slots;
    this.keys = new Uint32Array(slots * KEY_WORDS);
    this.totals = new Uint32Array(slots);
    this.timeWaits = new Uint32Array(slots);
  }

  clear(): void {
    if (this.used > 0 || this.decrements > 0) {
      this.totals.fill(0);
      this.timeWaits.fill(0);
    }
    this.used = 0;
    this.decrements = 0;
  }

  /** Counts one socket towards the destination in `k` (KEY_WORDS words). */
  count(k: Uint32Array, timeWait: boolean): void {
    const slot = this.find(this.keys, this.totals, k, 0);
    if (this.totals[slot]! > 0) {
      this.totals[slot]!++;
      if (timeWait) this.timeWaits[slot]!++;
      return;
    }
    if (this.used >= this.capacity) {
      this.decrementAll();
      // The newcomer's own count is spent by the round, as the Misra-Gries rule has it.
      return;
    }
    this.keys.set(k, slot * KEY_WORDS);
    this.totals[slot] = 1;
    this.timeWaits[slot] = timeWait ? 1 : 0;
    this.used++;
  }

  /** Sockets counted for the slot (0: empty). */
  totalAt(slot: number): number {
    return this.totals[slot]!;
  }

  timeWaitAt(slot: number): number {
    return this.timeWaits[slot]!;
  }

  /** Whether the slot's address is loopback as tcp_twsk_unique() tests it (see isLoopbackKey). */
  isLoopback(slot: number): boolean {
    return isLoopbackKey(this.keys, slot * KEY_WORDS);
  }

  /** The slot's key words as text, stable across cycles: how DestinationSlots names a destination. */
  keyText(slot: number): string {
    return Array.from(this.keys.subarray(slot * KEY_WORDS, slot * KEY_WORDS + KEY_WORDS)).join(',');
  }

  /** The slot holding the destination whose keyText is `text`, or -1 when it is not in the table. */
  slotOfText(text: string): number {
    const k = keyOfText(text);
    const slot = this.find(this.keys, this.totals, k, 0);
    return this.totals[slot] === 0 ? -1 : slot;
  }

  /** Key order: family (IPv4 first), then address, then port; negative when a comes first. */
  compareKeys(a: number, b: number): number {
    const ka = a * KEY_WORDS;
    const kb = b * KEY_WORDS;
    const fa = this.keys[ka + 4]! >>> 16;
    const fb = this.keys[kb + 4]! >>> 16;
    if (fa !== fb) return fa - fb;
    for (let i = 0; i < KEY_WORDS; i++) {
      const x = this.keys[ka + i]!;
      const y = this.keys[kb + i]!;
      if (x !== y) return x < y ? -1 : 1;
    }
    return 0;
  }

  destinationAt(slot: number): Destination {
    return destinationOfKey(this.keys, slot * KEY_WORDS);
  }

  /** The slot holding the key at k[from..], or the empty slot where it belongs (linear probing). */
  private find(keys: Uint32Array, totals: Uint32Array, k: Uint32Array, from: number): number {
    const mask = this.slots - 1;
    let h = 0x811c9dc5;
    for (let i = from; i < from + KEY_WORDS; i++) h = Math.imul(h ^ k[i]!, 0x01000193);
    h ^= h >>> 15;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      if (totals[slot] === 0) return slot;
      const o = slot * KEY_WORDS;
      if (keys[o] === k[from] && keys[o + 1] === k[from + 1] && keys[o + 2] === k[from + 2] && keys[o + 3] === k[from + 3] && keys[o + 4] === k[from + 4]) return slot;
    }
  }

  /**
   * One Misra-Gries round: every total minus one, rehashed into the spare table without the
   * zeros. The one taken off a total comes off its non-TIME_WAIT part while it has one, so both
   * parts stay within `decrements` of the truth.
   */
  private decrementAll(): void {
    this.decrements++;
    const { keys, totals, timeWaits } = this;
    const spare = (this.spare ??= { keys: new Uint32Array(this.slots * KEY_WORDS), totals: new Uint32Array(this.slots), timeWaits: new Uint32Array(this.slots) });
    spare.totals.fill(0);
    spare.timeWaits.fill(0);
    let used = 0;
    for (let slot = 0; slot < this.slots; slot++) {
      const c = totals[slot]!;
      if (c <= 1) continue;
      const to = this.find(spare.keys, spare.totals, keys, slot * KEY_WORDS);
      spare.keys.set(keys.subarray(slot * KEY_WORDS, slot * KEY_WORDS + KEY_WORDS), to * KEY_WORDS);
      spare.totals[to] = c - 1;
      spare.timeWaits[to] = Math.min(timeWaits[slot]!, c - 1);
      used++;
    }
    this.keys = spare.keys;
    this.totals = spare.totals;
    this.timeWaits = spare.timeWaits;
    this.spare = { keys, totals, timeWaits };
    this.used = used;
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
