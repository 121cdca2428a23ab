import { TIMER_KEEPALIVE, TIMER_NONE, type SocketRecord, type SocketSink } from '../model/socketRecord.js';
import { ESTABLISHED, LISTEN, STATE_CODE, STATE_SLOTS, zeroStates } from '../model/tcpState.js';
import type { PortRange } from './ephemeralPorts.js';
import { DEFAULT_SERIES_HYSTERESIS, PortSeriesSelector, type PortSelection, type SeriesHysteresis } from './portSeries.js';
import { ListenQueueTallies } from './listenQueues.js';
import type { PortIndex } from './portSlots.js';
import { PortTallies } from './portTallies.js';
import { SocketRoles, type EphemeralRange } from './socketRoles.js';
import {
  EPHEMERAL_PORT,
  OTHER_PORT,
  type KeepaliveCoverage,
  type ListenQueue,
  type PortKeepalive,
  type PortLimits,
  type PortStates,
  type SocketSummary,
} from './socketSummary.js';

const KA_ARMED = 0;
const KA_NOT_ARMED = 1;
const KA_UNKNOWN = 2;

/**
 * Sequence space the kernel's queue figures count that is no data: both sources report
 * rcv_nxt - copied_seq and write_seq - snd_una (tcp_diag_get_info(), get_tcp4_sock()), and a
 * SYN or FIN takes one sequence number. Received FIN: in CLOSE_WAIT, LAST_ACK and CLOSING it
 * sits in rcv_nxt until the application reads the end of stream (recv() returning 0 moves
 * copied_seq past it, tcp_recvmsg_locked()), so the receive queue is data + 1 while any
 * figure is above 0, and 0 once it was read (all data is read before it). Sent FIN: in FIN_WAIT1,
 * CLOSING and LAST_ACK our FIN is unacknowledged by definition and counted in write_seq
 * (tcp_send_fin()); sent SYN: in SYN_SENT, the same (tcp_connect_queue_skb()). TIME_WAIT sockets
 * report 0 for both queues (inet_twsk_diag_fill(), get_timewait4_sock()): nothing to take off.
 */
const RX_CONTROL = new Uint8Array(STATE_SLOTS);
const TX_CONTROL = new Uint8Array(STATE_SLOTS);
for (const s of [STATE_CODE.close_wait, STATE_CODE.last_ack, STATE_CODE.closing]) RX_CONTROL[s] = 1;
for (const s of [STATE_CODE.syn_sent, STATE_CODE.fin_wait1, STATE_CODE.closing, STATE_CODE.last_ack]) TX_CONTROL[s] = 1;

/**
 * Folds sockets into per-port tallies as they stream past: memory follows the ports in use, not
 * the sockets, and is reused across cycles. The counts per port sit in a dense slot per port in
 * use (PortTallies: 64 bytes each), the listen-queue figures in one per listening port
 * (ListenQueueTallies: 40 bytes each): on a host with a few hundred ports, a few hundred KB.
 *
 * Roles (SocketRoles): a socket whose local port has a listener is a server socket, counted under
 * that port, and so is one the rules for sockets without a listener make one (the accepted
 * connections a server keeps after it stopped listening); any other socket is a client socket,
 * counted under its remote port. The role is decided as each socket streams past, which is
 * right because every source feeds the listeners of both families first (the contract of
 * SocketSource.walk, src/sources/socketSource.ts).
 *
 * Which ports are reported by number is decided by a PortSeriesSelector per role (caps, pins,
 * hysteresis, the "ephemeral" bucket); each socket is counted in exactly one port, "other" or
 * "ephemeral" of its role, so the sums over ports equal the per-state totals.
 *
 * Call reset(), add() for every socket, then summarize() once per cycle: the roles' memory and
 * the hysteresis count cycles by those calls.
 */
export class SocketAggregator implements SocketSink {
  private readonly family = { ipv4: new Float64Array(STATE_SLOTS), ipv6: new Float64Array(STATE_SLOTS) };
  private readonly roles: SocketRoles;
  /** Per port: total, states, keepalive kinds; server sockets by local port, client sockets by remote port. */
  private readonly serverPorts = new PortTallies();
  private readonly clientPorts = new PortTallies();
  private readonly listenQueueTallies = new ListenQueueTallies();
  private readonly keepalive = new Float64Array(3);
  private readonly rxBytes = new Float64Array(STATE_SLOTS);
  private readonly txBytes = new Float64Array(STATE_SLOTS);
  private readonly serverSeries: PortSeriesSelector;
  private readonly clientSeries: PortSeriesSelector;
  /** Fold mode: whether a port is inside the ephemeral range of this cycle; null: ports by number. */
  private readonly fold: ((port: number) => boolean) | null;
  /**
   * The slot of the port the last add() counted its socket under, in its role's index
   * (portIndex()): another aggregator keeping figures per port reads it instead of looking the
   * port up again (TcpInfoAggregator; a lookup is a cache miss as often as not while the kernel
   * fills datagrams between ours, docs/performance.md).
   */
  lastPortSlot = -1;

  /**
   * @param hysteresis admission and keep times of port series, in cycles.
   * @param remember whether the roles remember service ports across cycles: off for an
   *   aggregator that walks several network namespaces in turn (one cycle each).
   */
  constructor(
    limits: PortLimits,
    hysteresis: SeriesHysteresis = DEFAULT_SERIES_HYSTERESIS,
    remember = true,
  ) {
    this.roles = new SocketRoles(remember ? Math.max(1, hysteresis.keepCycles) : 0);
    this.serverSeries = new PortSeriesSelector(limits.maxServerPorts, limits.pinnedPorts, hysteresis);
    this.clientSeries = new PortSeriesSelector(limits.topClientPorts, limits.pinnedPorts, hysteresis);
    const roles = this.roles;
    this.fold = limits.ephemeralPorts === 'number' ? null : (port) => roles.inEphemeralRange(port);
  }

  /** Starts a cycle; `range` is the namespace's ip_local_port_range (null: unreadable, the kernel's default is assumed). */
  reset(range: PortRange | EphemeralRange | null = null): void {
    this.family.ipv4.fill(0);
    this.family.ipv6.fill(0);
    this.listenQueueTallies.reset();
    this.serverPorts.reset();
    this.clientPorts.reset();
    this.roles.reset(range);
    this.keepalive.fill(0);
    this.rxBytes.fill(0);
    this.txBytes.fill(0);
  }

  /** Counts one socket; returns whether it was counted as a server socket (listeners included). */
  add(s: Readonly<SocketRecord>): boolean {
    const state = s.state;
    (s.family === 'ipv4' ? this.family.ipv4 : this.family.ipv6)[state]!++;
    if (state === LISTEN) {
      const port = s.localPort;
      this.roles.listen(port);
      this.listenQueueTallies.add(port, s.rxQueue, s.txQueue);
      this.lastPortSlot = this.serverPorts.count(port, state);
      return true;
    }
    const rx = s.rxQueue;
    const tx = s.txQueue;
    this.rxBytes[state]! += rx > 0 ? rx - RX_CONTROL[state]! : 0;
    this.txBytes[state]! += tx > 0 ? tx - TX_CONTROL[state]! : 0;
    const server = this.roles.isServer(s.localPort, s.remotePort);
    const tallies = server ? this.serverPorts : this.clientPorts;
    const slot = tallies.count(server ? s.localPort : s.remotePort, state);
    this.lastPortSlot = slot;
    if (state === ESTABLISHED) {
      const ka = s.timer === TIMER_KEEPALIVE ? KA_ARMED : s.timer === TIMER_NONE ? KA_NOT_ARMED : KA_UNKNOWN;
      this.keepalive[ka]!++;
      tallies.keepalive(slot, ka);
    }
    return server;
  }

  /** The port-to-slot index of server (true) or client ports this cycle: the slots lastPortSlot names. */
  portIndex(server: boolean): PortIndex {
    return server ? this.serverPorts.index : this.clientPorts.index;
  }

  /** The aggregate of everything added since the last reset, with the port series chosen; once per cycle. */
  summarize(): SocketSummary {
    const server = this.serverSeries.select((port) => this.serverPorts.total(port), this.serverPorts.ports(), this.fold);
    const client = this.clientSeries.select((port) => this.clientPorts.total(port), this.clientPorts.ports(), this.fold);
    return {
      byFamily: { ipv4: Array.from(this.family.ipv4), ipv6: Array.from(this.family.ipv6) },
      serverPorts: this.portStates(this.serverPorts, server),
      clientPorts: this.portStates(this.clientPorts, client),
      listenQueues: this.listenQueues(server),
      receiveQueueBytes: Array.from(this.rxBytes),
      sendQueueBytes: Array.from(this.txBytes),
      keepalive: coverage(this.keepalive[KA_ARMED]!, this.keepalive[KA_NOT_ARMED]!, this.keepalive[KA_UNKNOWN]!),
      keepaliveByServerPort: this.buckets(server, (port, ports) => keepaliveOf(this.serverPorts, port, ports)),
      keepaliveByClientPort: this.buckets(client, (port, ports) => keepaliveOf(this.clientPorts, port, ports)),
    };
  }

  /** One entry per named port, then "other", then "ephemeral" in fold mode (always present, so their series are stable). */
  private buckets<T>(sel: PortSelection, one: (port: string, ports: readonly number[]) => T, keep: (port: number) => boolean = () => true): T[] {
    const out = sel.named.filter(keep).map((p) => one(String(p), [p]));
    out.push(one(OTHER_PORT, sel.folded.filter(keep)));
    if (this.fold !== null) out.push(one(EPHEMERAL_PORT, sel.ephemeral.filter(keep)));
    return out;
  }

  /** The state counts per bucket of `sel` (one per named port, "other", "ephemeral"). */
  private portStates(tallies: PortTallies, sel: PortSelection): PortStates[] {
    return this.buckets(sel, (port, ports) => {
      const states = zeroStates();
      tallies.addStates(ports, states);
      return { port, states };
    });
  }

  private listenQueues(sel: PortSelection): ListenQueue[] {
    return this.buckets(sel, (port, ports) => this.listenQueueTallies.of(port, ports), (p) => this.roles.isListening(p));
  }
}

function keepaliveOf(tallies: PortTallies, port: string, ports: readonly number[]): PortKeepalive {
  return { port, ...coverage(tallies.keepaliveOf(ports, KA_ARMED), tallies.keepaliveOf(ports, KA_NOT_ARMED), tallies.keepaliveOf(ports, KA_UNKNOWN)) };
}

function coverage(armed: number, notArmed: number, unknown: number): KeepaliveCoverage {
  return { armed, notArmed, unknown };
}
