import type { SocketRecord } from '../model/socketRecord.js';
import { ESTABLISHED } from '../model/tcpState.js';
import { EPHEMERAL_PORT, OTHER_PORT, type PortStates } from './socketSummary.js';

const PORTS = 65536;

/**
 * Upper bounds of the RTT histogram buckets, in microseconds (tcpi_rtt's unit): 100 µs to 10 s in
 * 1-2.5-5 steps. 100 µs is the floor of a loopback or same-rack path, 10 s past any RTO backoff a
 * live connection gets to; the +Inf bucket takes the rest.
 */
export const RTT_BUCKETS_US: readonly number[] = [100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000, 5_000_000, 10_000_000];
const SLOTS = RTT_BUCKETS_US.length + 1;

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
 * A socket whose tcpi_rtt is 0 has no RTT sample yet (none taken since it was established) and
 * is left out of the histogram, not counted as 0 s.
 *
 * Memory: per role and per port seen in a walk, 17 bucket counts, a sum and a retransmitting
 * count (~80 bytes), in dense slots that grow with the ports seen and are reused across cycles,
 * plus a 256 KiB port-to-slot index.
 */
export class TcpInfoAggregator {
  private readonly server = new RoleTcpInfo();
  private readonly client = new RoleTcpInfo();
  private sockets = 0;

  reset(): void {
    this.server.reset();
    this.client.reset();
    this.sockets = 0;
  }

  /** One socket of the walk, with the role the socket aggregator counted it in. */
  add(s: Readonly<SocketRecord>, server: boolean): void {
    if (s.state !== ESTABLISHED) return;
    const rtt = s.info.rttUs;
    if (rtt <= 0) return;
    this.sockets++;
    (server ? this.server : this.client).add(server ? s.localPort : s.remotePort, rtt, s.info.retransmits > 0);
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

/** Dense slots to start with; they double as more ports are seen in a walk. */
const INITIAL_SLOTS = 64;

/**
 * One role's per-port tallies. Ports get dense slots in the order they are first seen, so memory
 * follows the ports in use, not the port space: a table whose listeners sit on scattered ports
 * would otherwise touch a page of each per-port array per port (measured: 3.4 MB more memory-cgroup
 * charge at 1M sockets over 424 listener ports).
 */
class RoleTcpInfo {
  /** Slot + 1 of each port seen this walk, 0 for none (256 KiB at most). */
  private readonly slotOf = new Uint32Array(PORTS);
  private ports = new Uint16Array(INITIAL_SLOTS);
  private buckets = new Uint32Array(INITIAL_SLOTS * SLOTS);
  private sumUs = new Float64Array(INITIAL_SLOTS);
  private retransmitting = new Uint32Array(INITIAL_SLOTS);
  private used = 0;

  reset(): void {
    for (let i = 0; i < this.used; i++) this.slotOf[this.ports[i]!] = 0;
    this.buckets.fill(0, 0, this.used * SLOTS);
    this.sumUs.fill(0, 0, this.used);
    this.retransmitting.fill(0, 0, this.used);
    this.used = 0;
  }

  add(port: number, rttUs: number, retransmitting: boolean): void {
    let slot = this.slotOf[port]! - 1;
    if (slot < 0) slot = this.newSlot(port);
    let b = 0;
    while (b < RTT_BUCKETS_US.length && rttUs > RTT_BUCKETS_US[b]!) b++;
    this.buckets[slot * SLOTS + b]!++;
    this.sumUs[slot]! += rttUs;
    if (retransmitting) this.retransmitting[slot]!++;
  }

  private newSlot(port: number): number {
    if (this.used === this.ports.length) this.grow();
    const slot = this.used++;
    this.ports[slot] = port;
    this.slotOf[port] = slot + 1;
    return slot;
  }

  private grow(): void {
    const n = this.ports.length * 2;
    const ports = new Uint16Array(n);
    ports.set(this.ports);
    this.ports = ports;
    const buckets = new Uint32Array(n * SLOTS);
    buckets.set(this.buckets);
    this.buckets = buckets;
    const sumUs = new Float64Array(n);
    sumUs.set(this.sumUs);
    this.sumUs = sumUs;
    const retransmitting = new Uint32Array(n);
    retransmitting.set(this.retransmitting);
    this.retransmitting = retransmitting;
  }

  summarize(named: ReadonlySet<number>, ephemeral: ((port: number) => boolean) | null): PortTcpInfo[] {
    const out = [...named].sort((a, b) => a - b).map((p) => this.portInfo(String(p), [p]));
    const other: number[] = [];
    const folded: number[] = [];
    for (let i = 0; i < this.used; i++) {
      const p = this.ports[i]!;
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
      const slot = this.slotOf[p]! - 1;
      if (slot < 0) continue; // a named port without an ESTABLISHED socket with an RTT sample
      for (let k = 0; k < SLOTS; k++) perSlot[k]! += this.buckets[slot * SLOTS + k]!;
      sumUs += this.sumUs[slot]!;
      retransmitting += this.retransmitting[slot]!;
    }
    const rttBuckets: number[] = [];
    let running = 0;
    for (const n of perSlot) rttBuckets.push((running += n));
    return { port, rttBuckets, rttCount: running, rttSumSeconds: sumUs / 1e6, retransmitting };
  }
}
