import type { ClosedSocket } from '../model/closedSocket.js';
import type { EphemeralRange } from './socketRoles.js';
import { SocketRoles } from './socketRoles.js';
import { DEFAULT_SERIES_HYSTERESIS, PortSeriesSelector, type PortSelection, type SeriesHysteresis } from './portSeries.js';
import { EPHEMERAL_PORT, OTHER_PORT, type PortLimits } from './socketSummary.js';

const PORTS = 65536;

/** What the closed connections of one port (or "other", "ephemeral") added up to, since the exporter started. */
export interface ClosedConnectionTotals {
  /** Connections whose socket the kernel destroyed (one per side the host holds). */
  closed: number;
  /** Data bytes sent: tcpi_bytes_sent - tcpi_bytes_retrans (each byte once; no SYN, no FIN). */
  bytesSent: number;
  /** Data bytes received: tcpi_bytes_received less the peer's FIN (see received()). */
  bytesReceived: number;
  /** tcpi_segs_out / tcpi_segs_in: every segment, handshake, FIN, pure ACKs and retransmissions included. */
  segmentsOut: number;
  segmentsIn: number;
  /** tcpi_total_retrans: segments retransmitted. */
  retransmitted: number;
}

export interface PortClosedConnections extends ClosedConnectionTotals {
  /** A port number as a string, "other" or "ephemeral". */
  port: string;
}

export interface ClosedConnectionsSummary {
  /** By local port of server sockets, then "other" and (fold mode) "ephemeral", both always present. */
  serverPorts: readonly PortClosedConnections[];
  /** By remote port of client sockets, then "other" and (fold mode) "ephemeral". */
  clientPorts: readonly PortClosedConnections[];
  /** Destroyed sockets with a peer, counted above. */
  connections: number;
  /**
   * Destroyed sockets without a peer port: listeners, sockets closed before connect(), and
   * blocking connect()s that failed (the kernel's tcp_disconnect() erases the peer's port).
   */
  withoutPeer: number;
}

const FIELDS = 6;
const CLOSED = 0;
const SENT = 1;
const RECEIVED = 2;
const SEGS_OUT = 3;
const SEGS_IN = 4;
const RETRANS = 5;

/**
 * Per-port counters of closed connections, monotonic for the life of the process, with the role
 * rule (SocketRoles) and port series selection (PortSeriesSelector: caps, pins, admission and keep
 * hysteresis, "ephemeral" in fold mode, "other") of tcpstate_port_sockets.
 *
 * A cycle is one collection: startCycle() with the namespace's port range and the listeners of a
 * LISTEN-only dump, then events (add()) and further listeners (listen(), from the dumps made
 * between collections), then summarize(). Ports are ranked by connections closed since start, and
 * every port that ever closed one is a candidate: a service closing few connections keeps its
 * series as long as none busier takes its slot.
 *
 * What was counted stays counted: a port's named series starts at 0 at the summary that names it
 * (what the port counted before is "other"'s, so no count is ever only in a series' first
 * sample, which Prometheus's rate() takes as the start); "ephemeral" keeps what a port brought
 * while it was in the range; "other" is the role's total less the rest, so it only grows. Pin a
 * port (--collector.ports.pin) to count it under its own series from the start.
 *
 * Memory is fixed: per role, six Float64 totals and six as of the last summary per port (6 MB of
 * address space per role, resident only for the pages of ports seen), a rank count, the
 * selector's arrays, and a baseline per named or ephemeral port.
 */
export class ClosedConnectionCounters {
  private readonly roles: SocketRoles;
  private readonly server: RoleCounters;
  private readonly client: RoleCounters;
  private readonly fold: ((port: number) => boolean) | null;
  private connections = 0;
  private withoutPeer = 0;
  private readonly one = zeroClosedConnectionTotals();

  constructor(limits: PortLimits, hysteresis: SeriesHysteresis = DEFAULT_SERIES_HYSTERESIS) {
    this.roles = new SocketRoles(Math.max(1, hysteresis.keepCycles));
    this.server = new RoleCounters(new PortSeriesSelector(limits.maxServerPorts, limits.pinnedPorts, hysteresis));
    this.client = new RoleCounters(new PortSeriesSelector(limits.topClientPorts, limits.pinnedPorts, hysteresis));
    const roles = this.roles;
    this.fold = limits.ephemeralPorts === 'number' ? null : (port) => roles.inEphemeralRange(port);
  }

  /** Starts a cycle: the port range (null: the kernel's default) and the listening ports now. */
  startCycle(range: EphemeralRange | null, listeners: Iterable<number>): void {
    this.roles.reset(range);
    this.listen(listeners);
  }

  /** Listening ports seen by a dump within the cycle; those of earlier dumps of the cycle stay. */
  listen(ports: Iterable<number>): void {
    for (const p of ports) this.roles.listen(p);
  }

  isListening(port: number): boolean {
    return this.roles.isListening(port);
  }

  inEphemeralRange(port: number): boolean {
    return this.roles.inEphemeralRange(port);
  }

  add(s: Readonly<ClosedSocket>): void {
    // A listener or a socket closed before it connected is no connection. One the kernel
    // disconnected (tcp_disconnect(): peer port and counters zeroed, peer address kept) is either
    // a child reset in its listener's accept queue, on the listener's port, a connection of ours
    // (the server's end), or a blocking connect() that failed, whose peer port is lost: left out.
    const disconnectedChild = s.disconnected && this.roles.isServicePort(s.localPort);
    if (s.remotePort === 0 && !disconnectedChild) {
      this.withoutPeer++;
      return;
    }
    this.connections++;
    const server = disconnectedChild || this.roles.isServer(s.localPort, s.remotePort);
    const v = closedConnectionOf(s, server, this.one);
    (server ? this.server : this.client).add(server ? s.localPort : s.remotePort, v.bytesSent, v.bytesReceived, v.segmentsOut, v.segmentsIn, v.retransmitted);
  }

  /** The totals per named port, "other" and "ephemeral"; once per cycle (the hysteresis counts these calls). */
  summarize(): ClosedConnectionsSummary {
    return {
      serverPorts: this.server.summarize(this.fold),
      clientPorts: this.client.summarize(this.fold),
      connections: this.connections,
      withoutPeer: this.withoutPeer,
    };
  }
}

export function zeroClosedConnectionTotals(): ClosedConnectionTotals {
  return { closed: 0, bytesSent: 0, bytesReceived: 0, segmentsOut: 0, segmentsIn: 0, retransmitted: 0 };
}

/**
 * What one destroyed socket with a peer adds to its totals, written into `out` (returned): one
 * connection, its data bytes (sent(), received(): no SYN, no FIN), segments and retransmissions.
 * `server` is its role, which only kernels before 4.19 need (the bytes_acked fallback of sent()).
 * The one place these are computed: per port here, per network namespace in
 * namespaceClosedConnections.ts.
 */
export function closedConnectionOf(s: Readonly<ClosedSocket>, server: boolean, out: ClosedConnectionTotals): ClosedConnectionTotals {
  const i = s.info;
  out.closed = 1;
  out.bytesSent = sent(s, server);
  out.bytesReceived = received(s);
  out.segmentsOut = Math.max(0, i.segsOut);
  out.segmentsIn = Math.max(0, i.segsIn);
  out.retransmitted = Math.max(0, i.totalRetrans);
  return out;
}

/** Adds `v` into `into`, field by field. */
export function addClosedConnectionTotals(into: ClosedConnectionTotals, v: Readonly<ClosedConnectionTotals>): void {
  into.closed += v.closed;
  into.bytesSent += v.bytesSent;
  into.bytesReceived += v.bytesReceived;
  into.segmentsOut += v.segmentsOut;
  into.segmentsIn += v.segmentsIn;
  into.retransmitted += v.retransmitted;
}

/**
 * Data bytes sent. tcpi_bytes_acked is no good for this: it counts the SYN on the side that
 * opened the connection and the FIN once acknowledged (5,000 bytes sent and a close read 5002 on
 * the client and 301 for 300 on the server, measured on 6.18), and the event does not say which
 * side opened. tcpi_bytes_sent less tcpi_bytes_retrans counts every data byte once, control
 * sequence numbers never (Linux 4.19+). Before that, bytes_acked less 1 for the FIN and, for a
 * client socket, 1 for its SYN: right for connections that ended with a FIN exchange.
 */
function sent(s: Readonly<ClosedSocket>, server: boolean): number {
  const i = s.info;
  if (i.bytesSent >= 0 && i.bytesRetrans >= 0) return Math.max(0, i.bytesSent - i.bytesRetrans);
  return Math.max(0, i.bytesAcked - (server ? 1 : 2));
}

/**
 * Data bytes received: tcpi_bytes_received counts the peer's FIN as a byte once it arrived, and
 * the event does not say whether it did. It is taken off whenever anything was received: exact
 * for every connection the peer closed with a FIN before this socket was destroyed (a passive
 * closer always; an active closer that reached TIME_WAIT). One byte low for an active closer whose
 * own FIN was acknowledged before the peer's FIN came (the kernel then destroys the full socket at
 * once, in FIN_WAIT2) and for a connection reset after it received data.
 */
function received(s: Readonly<ClosedSocket>): number {
  const r = s.info.bytesReceived;
  return r > 0 ? r - 1 : 0;
}

class RoleCounters {
  /** FIELDS totals per port since start. */
  private readonly totals = new Float64Array(PORTS * FIELDS);
  /** The totals as of the last summary. */
  private readonly published = new Float64Array(PORTS * FIELDS);
  /** Closed connections per port since start, saturating: what the selector ranks by. */
  private readonly rank = new Uint32Array(PORTS);
  private readonly seenPorts = new Uint16Array(PORTS);
  private seenCount = 0;
  /** Every port's totals summed. */
  private readonly all = new Float64Array(FIELDS);
  /** Named ports and their totals when they were named. */
  private named = new Map<number, Float64Array>();
  /** Ports in "ephemeral" and their totals when they went in; what ports that left it brought. */
  private ephemeral = new Map<number, Float64Array>();
  private readonly ephemeralKept = new Float64Array(FIELDS);
  /** Whether a summary was made: the first one's series all start together, "other" too. */
  private summarized = false;

  constructor(private readonly selector: PortSeriesSelector) {}

  add(port: number, sentBytes: number, receivedBytes: number, segsOut: number, segsIn: number, retrans: number): void {
    const o = port * FIELDS;
    const t = this.totals;
    if (this.rank[port] === 0) this.seenPorts[this.seenCount++] = port;
    if (this.rank[port]! < 0xffffffff) this.rank[port]!++;
    t[o + CLOSED]!++;
    t[o + SENT]! += sentBytes;
    t[o + RECEIVED]! += receivedBytes;
    t[o + SEGS_OUT]! += segsOut;
    t[o + SEGS_IN]! += segsIn;
    t[o + RETRANS]! += retrans;
    const a = this.all;
    a[CLOSED]!++;
    a[SENT]! += sentBytes;
    a[RECEIVED]! += receivedBytes;
    a[SEGS_OUT]! += segsOut;
    a[SEGS_IN]! += segsIn;
    a[RETRANS]! += retrans;
  }

  summarize(fold: ((port: number) => boolean) | null): PortClosedConnections[] {
    const sel: PortSelection = this.selector.select((port) => this.rank[port]!, this.seenPorts.subarray(0, this.seenCount), fold);
    // A newly named port's series starts at 0: what it counted so far is "other"'s, published
    // there now. Were the series to start at its count since the last summary, Prometheus would
    // lose that count: rate() and increase() take a new series' first sample as its start. At
    // the first summary every series is new, "other" too: ports named then (pinned ones, the
    // first busiest) count from the start, as "other" does.
    this.named = this.rebase(this.named, sel.named, null, this.summarized ? this.totals : this.published);
    this.summarized = true;
    this.ephemeral = this.rebase(this.ephemeral, sel.ephemeral, this.ephemeralKept, this.published);
    const other = Float64Array.from(this.all);
    const out: PortClosedConnections[] = [];
    for (const [p, base] of this.named) {
      const v = this.since(p, base);
      for (let k = 0; k < FIELDS; k++) other[k]! -= v[k]!;
      out.push(totalsOf(String(p), v));
    }
    const eph = Float64Array.from(this.ephemeralKept);
    for (const [p, base] of this.ephemeral) {
      const v = this.since(p, base);
      for (let k = 0; k < FIELDS; k++) eph[k]! += v[k]!;
    }
    for (let k = 0; k < FIELDS; k++) other[k]! -= eph[k]!;
    out.push(totalsOf(OTHER_PORT, other));
    if (fold !== null) out.push(totalsOf(EPHEMERAL_PORT, eph));
    for (let i = 0; i < this.seenCount; i++) {
      const p = this.seenPorts[i]!;
      this.published.set(this.totals.subarray(p * FIELDS, (p + 1) * FIELDS), p * FIELDS);
    }
    return out;
  }

  /**
   * The bucket's new members with their baselines: kept for those already in, `joinAt` for those
   * joining (the totals now, or as last published). What a leaving port brought is added to
   * `kept` (null: given back to "other").
   */
  private rebase(before: Map<number, Float64Array>, ports: readonly number[], kept: Float64Array | null, joinAt: Float64Array): Map<number, Float64Array> {
    const next = new Map<number, Float64Array>();
    for (const p of [...ports].sort((a, b) => a - b)) next.set(p, before.get(p) ?? joinAt.slice(p * FIELDS, (p + 1) * FIELDS));
    if (kept !== null) {
      for (const [p, base] of before) {
        if (next.has(p)) continue;
        // Up to the last summary: what arrived since goes to the port's new bucket, from there.
        for (let k = 0; k < FIELDS; k++) kept[k]! += this.published[p * FIELDS + k]! - base[k]!;
      }
    }
    return next;
  }

  /** What port p counted since `base`. */
  private since(p: number, base: Float64Array): Float64Array {
    const v = new Float64Array(FIELDS);
    for (let k = 0; k < FIELDS; k++) v[k] = this.totals[p * FIELDS + k]! - base[k]!;
    return v;
  }
}

function totalsOf(port: string, v: Float64Array): PortClosedConnections {
  return { port, closed: v[CLOSED]!, bytesSent: v[SENT]!, bytesReceived: v[RECEIVED]!, segmentsOut: v[SEGS_OUT]!, segmentsIn: v[SEGS_IN]!, retransmitted: v[RETRANS]! };
}
