import type { SocketRecord } from '../model/socketRecord.js';
import { ESTABLISHED } from '../model/tcpState.js';
import type { PortIndex } from './portSlots.js';
import { EPHEMERAL_PORT, OTHER_PORT, type PortStates } from './socketSummary.js';

/**
 * Upper bounds of the RTT histogram buckets, in microseconds (tcpi_rtt's unit): 100 µs to 10 s in
 * 1-2.5-5 steps. 100 µs is the floor of a loopback or same-rack path, 10 s past any RTO backoff a
 * live connection gets to; the +Inf bucket takes the rest.
 */
export const RTT_BUCKETS_US: readonly number[] = [100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000, 5_000_000, 10_000_000];
const SLOTS = RTT_BUCKETS_US.length + 1;

/**
 * For each power of two 2^k (k = 0..31), the first bucket whose bound is at least 2^k. Each bound
 * is at least twice the one before, so [2^k, 2^(k+1)) holds at most one bound, and an RTT there
 * falls in that first bucket or the next: one table read and one comparison (rttBucket()), where
 * a walk up the bounds takes a branch per bound passed, a dozen for a WAN peer's 100 ms, each as
 * unpredictable as the RTTs of consecutive sockets.
 */
const FIRST_BUCKET_AT_LOG2 = new Uint8Array(32);
for (let k = 0; k < 32; k++) {
  let b = 0;
  while (b < RTT_BUCKETS_US.length && RTT_BUCKETS_US[b]! < 2 ** k) b++;
  FIRST_BUCKET_AT_LOG2[k] = b;
}
const BOUNDS = Uint32Array.from(RTT_BUCKETS_US);
for (let b = 1; b < BOUNDS.length; b++) if (BOUNDS[b]! < 2 * BOUNDS[b - 1]!) throw new Error('RTT_BUCKETS_US: each bound must be at least twice the one before');

/**
 * The histogram slot of an RTT of `rttUs` microseconds (an integer, 1 to 2^32 - 1): the first
 * bucket whose bound is not below it, RTT_BUCKETS_US.length (+Inf) past the last.
 */
export function rttBucket(rttUs: number): number {
  const b = FIRST_BUCKET_AT_LOG2[31 - Math.clz32(rttUs)]!;
  return b < BOUNDS.length && rttUs > BOUNDS[b]! ? b + 1 : b;
}

/** tcp_info of the ESTABLISHED sockets of one port (or "other", "ephemeral"), for one walk. */
export interface PortTcpInfo {
  port: string;
  /** Cumulative counts per RTT_BUCKETS_US bound (le), then the count of all: Prometheus' layout. */
  rttBuckets: readonly number[];
  rttCount: number;
  rttSumSeconds: number;
  /** ESTABLISHED sockets with tcpi_retransmits > 0: an RTO fired and the peer has acknowledged nothing since. */
  retransmitting: number;
}

export interface TcpInfoSummary {
  serverPorts: readonly PortTcpInfo[];
  clientPorts: readonly PortTcpInfo[];
  /** ESTABLISHED sockets seen with a tcp_info and an RTT sample. */
  sockets: number;
}

/**
 * Folds each ESTABLISHED socket's struct tcp_info into per-port arrays as the walk streams past,
 * by the role the socket aggregator gave it (server: local port; client: remote port), like
 * tcpstate_port_sockets. Which ports are reported by number is not decided here: summarize() takes
 * the ports tcpstate_port_sockets named in the same walk (its PortSeriesSelector: caps, pins,
 * hysteresis), so both families name the same ports; the rest go where that walk put them:
 * "ephemeral" for a port inside the range when it has that bucket (fold mode), else "other".
 *
 * The figures are kept by the socket aggregator's port slots (SocketAggregator.portIndex(),
 * .lastPortSlot), not by a port index of their own: a socket costs one port lookup for both.
 *
 * A socket whose tcpi_rtt is 0 has no RTT sample yet (none taken since it was established) and
 * is left out of the histogram, not counted as 0 s.
 *
 * Memory: per role and per port slot, 17 bucket counts, a sum and a retransmitting count (80
 * bytes), in dense slots that grow with the ports seen and are reused across cycles.
 */
export class TcpInfoAggregator {
  private readonly server: RoleTcpInfo;
  private readonly client: RoleTcpInfo;
  private sockets = 0;

  /** `serverIndex`, `clientIndex`: the socket aggregator's port slots per role (SocketAggregator.portIndex()). */
  constructor(serverIndex: PortIndex, clientIndex: PortIndex) {
    this.server = new RoleTcpInfo(serverIndex);
    this.client = new RoleTcpInfo(clientIndex);
  }

  reset(): void {
    this.server.reset();
    this.client.reset();
    this.sockets = 0;
  }

  /**
   * One socket of the walk, with the role the socket aggregator counted it in and the slot of the
   * port it counted it under (SocketAggregator.lastPortSlot after its add()).
   */
  add(s: Readonly<SocketRecord>, server: boolean, portSlot: number): void {
    if (s.state !== ESTABLISHED) return;
    const rtt = s.info.rttUs;
    if (rtt <= 0) return;
    this.sockets++;
    (server ? this.server : this.client).add(portSlot, rtt, s.info.retransmits > 0);
  }

  /**
   * Per port of `serverPorts` / `clientPorts` (the walk's tcpstate_port_sockets series), then
   * "other", then "ephemeral" when those series have it; `inEphemeralRange` is the walk's range.
   */
  summarize(serverPorts: readonly PortStates[], clientPorts: readonly PortStates[], inEphemeralRange: (port: number) => boolean): TcpInfoSummary {
    return {
      serverPorts: this.server.summarize(namedPorts(serverPorts), foldsEphemeral(serverPorts) ? inEphemeralRange : null),
      clientPorts: this.client.summarize(namedPorts(clientPorts), foldsEphemeral(clientPorts) ? inEphemeralRange : null),
      sockets: this.sockets,
    };
  }
}

/**
 * The ports tcpstate_port_sockets reports by number, from its series: the one place this module
 * depends on how the sockets aggregator labels ports.
 */
function namedPorts(ports: readonly PortStates[]): ReadonlySet<number> {
  return new Set(ports.filter((p) => p.port !== OTHER_PORT && p.port !== EPHEMERAL_PORT).map((p) => Number(p.port)));
}

/** Whether those series sum the ports inside the range in port="ephemeral" (fold mode). */
function foldsEphemeral(ports: readonly PortStates[]): boolean {
  return ports.some((p) => p.port === EPHEMERAL_PORT);
}

/** Slots to start with; they double as the socket aggregator's slots pass them. */
const INITIAL_SLOTS = 64;
/**
 * A slot's layout in u32 words: the RTT sum in µs as a float64 at words 0-1 (a million sockets
 * at 100 ms pass 2^32), the bucket counts from word 2, the retransmitting count after them: 80
 * bytes, so the sum and the low buckets a socket touches share a cache line.
 */
const SLOT_WORDS = 20;
const BUCKETS_AT = 2;
const RETRANSMITTING_AT = BUCKETS_AT + SLOTS;

/**
 * One role's per-port tallies, by the socket aggregator's slot of the port (dense, in the order
 * ports were first seen), so memory follows the ports in use, not the port space: a table whose
 * listeners sit on scattered ports would otherwise touch a page of each per-port array per port
 * (measured: 3.4 MB more memory-cgroup charge at 1M sockets over 424 listener ports); and a
 * socket touches one or two lines of its slot, where an array per figure cost a line each
 * (docs/performance.md, "per-port state in bytes and bits").
 */
class RoleTcpInfo {
  /** SLOT_WORDS per slot, as u32 words and, for the sums, as float64 (same memory). */
  private words = new Uint32Array(INITIAL_SLOTS * SLOT_WORDS);
  private sums = new Float64Array(this.words.buffer);
  /** One past the highest slot added to this cycle: what reset() clears. */
  private used = 0;

  constructor(private readonly index: PortIndex) {}

  reset(): void {
    this.words.fill(0, 0, this.used * SLOT_WORDS);
    this.used = 0;
  }

  add(slot: number, rttUs: number, retransmitting: boolean): void {
    if (slot >= this.used) this.use(slot);
    const o = slot * SLOT_WORDS;
    this.sums[o >> 1]! += rttUs;
    this.words[o + BUCKETS_AT + rttBucket(rttUs)]!++;
    if (retransmitting) this.words[o + RETRANSMITTING_AT]!++;
  }

  /** Takes slots up to `slot`, growing the arrays (doubling) when it is past them. */
  private use(slot: number): void {
    this.used = slot + 1;
    if (this.used * SLOT_WORDS <= this.words.length) return;
    let slots = this.words.length / SLOT_WORDS;
    while (slots < this.used) slots *= 2;
    const words = new Uint32Array(slots * SLOT_WORDS);
    words.set(this.words);
    this.words = words;
    this.sums = new Float64Array(words.buffer);
  }

  summarize(named: ReadonlySet<number>, ephemeral: ((port: number) => boolean) | null): PortTcpInfo[] {
    const out = [...named].sort((a, b) => a - b).map((p) => this.portInfo(String(p), [p]));
    const other: number[] = [];
    const folded: number[] = [];
    for (const p of this.index.ports()) {
      if (named.has(p)) continue;
      if (ephemeral !== null && ephemeral(p)) folded.push(p);
      else other.push(p);
    }
    out.push(this.portInfo(OTHER_PORT, other));
    if (ephemeral !== null) out.push(this.portInfo(EPHEMERAL_PORT, folded));
    return out;
  }

  private portInfo(port: string, ports: readonly number[]): PortTcpInfo {
    const perSlot = new Array<number>(SLOTS).fill(0);
    let sumUs = 0;
    let retransmitting = 0;
    for (const p of ports) {
      const slot = this.index.find(p);
      // A port not in use, or none of whose sockets had an ESTABLISHED tcp_info with an RTT sample.
      if (slot < 0 || slot >= this.used) continue;
      const o = slot * SLOT_WORDS;
      for (let k = 0; k < SLOTS; k++) perSlot[k]! += this.words[o + BUCKETS_AT + k]!;
      sumUs += this.sums[o >> 1]!;
      retransmitting += this.words[o + RETRANSMITTING_AT]!;
    }
    const rttBuckets: number[] = [];
    let running = 0;
    for (const n of perSlot) rttBuckets.push((running += n));
    return { port, rttBuckets, rttCount: running, rttSumSeconds: sumUs / 1e6, retransmitting };
  }
}
