import { LISTEN } from '../model/tcpState.js';
import type { SocketRecord, SocketSink } from '../model/socketRecord.js';
import { formatAddress } from './formatAddress.js';

/** The ephemeral range and the ports carved out of it, as the kernel's sysctls give them. */
export interface PortRange {
  low: number;
  high: number;
  /** net.ipv4.ip_local_reserved_ports: never handed out by connect(). */
  reserved: readonly number[];
}

export interface DestinationPorts {
  family: 'ipv4' | 'ipv6';
  remoteAddress: string;
  remotePort: number;
  /** Local ports from the range held by connections (any state, TIME_WAIT included) to this destination. */
  ports: number;
}

export interface EphemeralPortUsage {
  range: { low: number; high: number };
  /**
   * Ports connect() can hand out: the range, less reserved ports and ports bound by listeners
   * in it (the kernel skips a port with an explicit bind() when it picks one for connect()).
   */
  usablePorts: number;
  /** Distinct local ports in the range that some socket holds. */
  portsInUse: number;
  /** Distinct destinations seen (a lower bound when countError > 0). */
  destinations: number;
  /** The busiest destination's ports / usablePorts: how close connect() is to EADDRNOTAVAIL for it. */
  worstDestinationRatio: number;
  /** Busiest first, at most the configured K. */
  top: readonly DestinationPorts[];
  /** How many ports any count may be short by (0: every count is exact). */
  countError: number;
}

const PORTS = 65536;
/** Destinations counted exactly per cycle; beyond, heavy hitters are kept (see the class). */
export const TRACKED_DESTINATIONS = 8192;
/** Words per key: four of address, one of port | family << 16. */
const KEY_WORDS = 5;

/**
 * Counts, per destination (remote address and port), the local ports that outgoing connections
 * hold, streaming and in fixed memory. Each destination needs a distinct local port per
 * connection (the 4-tuple must be unique), so the busiest destination runs out of ports first.
 *
 * Destinations live in a fixed open-addressing table of `capacity` keys (typed arrays, ~0.4 MB at
 * the default 8,192; a second one is allocated only if the table ever fills). On a host with more distinct destinations than that, the table keeps the
 * heavy hitters by the Misra-Gries rule: a new destination that finds the table full lowers
 * every count by one and drops those at zero. Any destination holding more than
 * N / (capacity + 1) of the N client sockets is then kept, and every count is short by at most
 * the number of such rounds, which is reported (countError). Exact below the capacity.
 */
export class EphemeralPortTracker implements SocketSink {
  private range: PortRange | null = null;
  private readonly slots: number;
  private keys: Uint32Array;
  private counts: Uint32Array;
  /** The table a Misra-Gries round rehashes into; allocated on the first round only. */
  private spareKeys: Uint32Array | undefined;
  private spareCounts: Uint32Array | undefined;
  private used = 0;
  private decrements = 0;
  private readonly inUse = new Uint8Array(PORTS);
  private readonly listenerPort = new Uint8Array(PORTS);
  private readonly touched: number[] = [];
  private readonly key = new Uint32Array(KEY_WORDS);

  constructor(
    private readonly topK: number,
    private readonly capacity = TRACKED_DESTINATIONS,
  ) {
    let slots = 1;
    while (slots < capacity * 2) slots <<= 1;
    this.slots = slots;
    this.keys = new Uint32Array(slots * KEY_WORDS);
    this.counts = new Uint32Array(slots);
  }

  /** Starts a cycle; a null range (sysctl unreadable) makes the cycle's usage null. */
  reset(range: PortRange | null): void {
    this.range = range;
    if (this.used > 0) this.counts.fill(0);
    this.used = 0;
    this.decrements = 0;
    for (const p of this.touched) {
      this.inUse[p] = 0;
      this.listenerPort[p] = 0;
    }
    this.touched.length = 0;
  }

  add(s: Readonly<SocketRecord>): void {
    const range = this.range;
    if (range === null) return;
    const port = s.localPort;
    if (port < range.low || port > range.high) return;
    if (this.inUse[port] === 0) {
      this.inUse[port] = 1;
      this.touched.push(port);
    }
    if (s.state === LISTEN) {
      this.listenerPort[port] = 1;
      return;
    }
    // The accepted side of a connection to a listener in the range holds no ephemeral port.
    if (this.listenerPort[port] === 1) return;
    const a = s.remoteAddress;
    const k = this.key;
    k[0] = (a[0]! << 24) | (a[1]! << 16) | (a[2]! << 8) | a[3]!;
    k[1] = (a[4]! << 24) | (a[5]! << 16) | (a[6]! << 8) | a[7]!;
    k[2] = (a[8]! << 24) | (a[9]! << 16) | (a[10]! << 8) | a[11]!;
    k[3] = (a[12]! << 24) | (a[13]! << 16) | (a[14]! << 8) | a[15]!;
    k[4] = s.remotePort | (s.family === 'ipv6' ? 0x10000 : 0);
    this.count(k);
  }

  summarize(): EphemeralPortUsage | null {
    const range = this.range;
    if (range === null) return null;
    let bound = 0;
    for (const p of this.touched) if (this.listenerPort[p] === 1) bound++;
    const reserved = new Set(range.reserved.filter((p) => p >= range.low && p <= range.high && this.listenerPort[p] !== 1)).size;
    const usablePorts = Math.max(0, range.high - range.low + 1 - reserved - bound);
    const top = this.topSlots();
    const worst = top.length > 0 ? this.counts[top[0]!]! : this.maxCount();
    return {
      range: { low: range.low, high: range.high },
      usablePorts,
      portsInUse: this.touched.length,
      destinations: this.used,
      worstDestinationRatio: usablePorts > 0 ? worst / usablePorts : worst > 0 ? 1 : 0,
      top: top.map((slot) => this.destinationAt(slot)),
      countError: this.decrements,
    };
  }

  private count(k: Uint32Array): void {
    let slot = this.find(this.keys, this.counts, k);
    if (this.counts[slot]! > 0) {
      this.counts[slot]!++;
      return;
    }
    if (this.used >= this.capacity) {
      this.decrementAll();
      // The newcomer's own count is spent by the round, as the Misra-Gries rule has it.
      return;
    }
    this.keys.set(k, slot * KEY_WORDS);
    this.counts[slot] = 1;
    this.used++;
  }

  /** The slot holding k, or the empty slot where it belongs (linear probing). */
  private find(keys: Uint32Array, counts: Uint32Array, k: Uint32Array, from = 0): number {
    const mask = this.slots - 1;
    let h = 0x811c9dc5;
    for (let i = from; i < from + KEY_WORDS; i++) h = Math.imul(h ^ k[i]!, 0x01000193);
    h ^= h >>> 15;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      if (counts[slot] === 0) return slot;
      const o = slot * KEY_WORDS;
      if (keys[o] === k[from] && keys[o + 1] === k[from + 1] && keys[o + 2] === k[from + 2] && keys[o + 3] === k[from + 3] && keys[o + 4] === k[from + 4]) return slot;
    }
  }

  /** One Misra-Gries round: every count minus one, rehashed into the spare table without the zeros. */
  private decrementAll(): void {
    this.decrements++;
    const { keys, counts } = this;
    const spareKeys = (this.spareKeys ??= new Uint32Array(this.slots * KEY_WORDS));
    const spareCounts = (this.spareCounts ??= new Uint32Array(this.slots));
    spareCounts.fill(0);
    let used = 0;
    for (let slot = 0; slot < this.slots; slot++) {
      const c = counts[slot]!;
      if (c <= 1) continue;
      const to = this.find(spareKeys, spareCounts, keys, slot * KEY_WORDS);
      spareKeys.set(keys.subarray(slot * KEY_WORDS, slot * KEY_WORDS + KEY_WORDS), to * KEY_WORDS);
      spareCounts[to] = c - 1;
      used++;
    }
    this.keys = spareKeys;
    this.counts = spareCounts;
    this.spareKeys = keys;
    this.spareCounts = counts;
    this.used = used;
  }

  private maxCount(): number {
    let max = 0;
    for (let slot = 0; slot < this.slots; slot++) if (this.counts[slot]! > max) max = this.counts[slot]!;
    return max;
  }

  /** Slots of the K busiest destinations, busiest first; ties go to the lower family, address and port, so the order is stable. */
  private topSlots(): number[] {
    const top: number[] = [];
    if (this.topK === 0) return top;
    for (let slot = 0; slot < this.slots; slot++) {
      if (this.counts[slot] === 0 || (top.length === this.topK && !this.ranksAbove(slot, top[top.length - 1]!))) continue;
      let i = top.length === this.topK ? top.length - 1 : top.length;
      while (i > 0 && this.ranksAbove(slot, top[i - 1]!)) {
        top[i] = top[i - 1]!;
        i--;
      }
      top[i] = slot;
    }
    return top;
  }

  private ranksAbove(a: number, b: number): boolean {
    const ca = this.counts[a]!;
    const cb = this.counts[b]!;
    if (ca !== cb) return ca > cb;
    const ka = a * KEY_WORDS;
    const kb = b * KEY_WORDS;
    // Family first (IPv4 before IPv6), then address, then port.
    const fa = this.keys[ka + 4]! >>> 16;
    const fb = this.keys[kb + 4]! >>> 16;
    if (fa !== fb) return fa < fb;
    for (let i = 0; i < KEY_WORDS; i++) {
      const x = this.keys[ka + i]! >>> 0;
      const y = this.keys[kb + i]! >>> 0;
      if (x !== y) return x < y;
    }
    return false;
  }

  private destinationAt(slot: number): DestinationPorts {
    const o = slot * KEY_WORDS;
    const w4 = this.keys[o + 4]!;
    const family = w4 & 0x10000 ? 'ipv6' : 'ipv4';
    const bytes = new Uint8Array(16);
    for (let i = 0; i < 4; i++) {
      const w = this.keys[o + i]!;
      bytes[i * 4] = w >>> 24;
      bytes[i * 4 + 1] = (w >>> 16) & 0xff;
      bytes[i * 4 + 2] = (w >>> 8) & 0xff;
      bytes[i * 4 + 3] = w & 0xff;
    }
    return { family, remoteAddress: formatAddress(family, bytes), remotePort: w4 & 0xffff, ports: this.counts[slot]! };
  }
}
