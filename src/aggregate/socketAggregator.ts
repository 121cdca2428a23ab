import { TIMER_KEEPALIVE, TIMER_NONE, type SocketRecord, type SocketSink } from '../model/socketRecord.js';
import { ESTABLISHED, LISTEN, STATE_COUNT, zeroStates } from '../model/tcpState.js';
import { selectPorts } from './selectPorts.js';
import {
  OTHER_PORT,
  type KeepaliveCoverage,
  type ListenQueue,
  type PortKeepalive,
  type PortLimits,
  type PortStates,
  type SocketSummary,
} from './socketSummary.js';

const PORTS = 65536;
const KA_ARMED = 0;
const KA_NOT_ARMED = 1;
const KA_UNKNOWN = 2;

/**
 * Folds sockets into fixed-size per-port arrays as they stream past: memory is the same for ten
 * sockets or ten million, and the arrays are reused across cycles. The arrays span every port
 * (~8 MB) but only the ports in use are ever written, and only those are cleared between cycles,
 * so only their pages become resident: on a host with a few hundred ports, a few hundred KB.
 *
 * Role assignment: a socket whose local port has a listener is a server socket, counted under
 * that port; any other socket is a client socket, counted under its remote port. Both the
 * /proc/net/tcp walk and a sock_diag dump visit a family's listeners before its connections, and
 * an accepted IPv4 connection on a dual-stack listener is itself an IPv6 (v4-mapped) socket, so
 * each listener is known before the sockets that belong to it.
 */
export class SocketAggregator implements SocketSink {
  private readonly family = { ipv4: new Float64Array(STATE_COUNT), ipv6: new Float64Array(STATE_COUNT) };
  private readonly listening = new Uint8Array(PORTS);
  private readonly serverStates = new Uint32Array(PORTS * STATE_COUNT);
  private readonly serverTotal = new Uint32Array(PORTS);
  private readonly clientStates = new Uint32Array(PORTS * STATE_COUNT);
  private readonly clientTotal = new Uint32Array(PORTS);
  private readonly listeners = new Uint32Array(PORTS);
  private readonly acceptQueue = new Float64Array(PORTS);
  private readonly backlog = new Float64Array(PORTS);
  private readonly maxFill = new Float64Array(PORTS);
  /** 1 where some listener on the port has no known backlog. */
  private readonly backlogUnknown = new Uint8Array(PORTS);
  /** ESTABLISHED sockets per port and keepalive kind (KA_*): server by local port, client by remote port. */
  private readonly serverKeepalive = new Uint32Array(PORTS * 3);
  private readonly clientKeepalive = new Uint32Array(PORTS * 3);
  private readonly keepalive = new Float64Array(3);
  private readonly rxBytes = new Float64Array(STATE_COUNT);
  private readonly txBytes = new Float64Array(STATE_COUNT);
  /** Ports written this cycle, per role, so reset() and summarize() touch nothing else. */
  private readonly serverPortsUsed = new PortList();
  private readonly clientPortsUsed = new PortList();

  constructor(private readonly limits: PortLimits) {}

  reset(): void {
    this.family.ipv4.fill(0);
    this.family.ipv6.fill(0);
    for (const p of this.serverPortsUsed.ports()) {
      this.serverStates.fill(0, p * STATE_COUNT, (p + 1) * STATE_COUNT);
      this.serverKeepalive.fill(0, p * 3, p * 3 + 3);
      this.serverTotal[p] = 0;
      this.listening[p] = 0;
      this.listeners[p] = 0;
      this.acceptQueue[p] = 0;
      this.backlog[p] = 0;
      this.maxFill[p] = 0;
      this.backlogUnknown[p] = 0;
    }
    for (const p of this.clientPortsUsed.ports()) {
      this.clientStates.fill(0, p * STATE_COUNT, (p + 1) * STATE_COUNT);
      this.clientKeepalive.fill(0, p * 3, p * 3 + 3);
      this.clientTotal[p] = 0;
    }
    this.serverPortsUsed.clear();
    this.clientPortsUsed.clear();
    this.keepalive.fill(0);
    this.rxBytes.fill(0);
    this.txBytes.fill(0);
  }

  add(s: Readonly<SocketRecord>): void {
    const state = s.state;
    this.family[s.family][state]!++;
    if (state === LISTEN) {
      const port = s.localPort;
      this.listening[port] = 1;
      this.listeners[port]!++;
      this.acceptQueue[port]! += s.rxQueue;
      if (s.txQueue < 0) {
        this.backlogUnknown[port] = 1;
      } else {
        this.backlog[port]! += s.txQueue;
        // The accept queue takes backlog + 1 connections: the kernel drops only once
        // sk_ack_backlog > sk_max_ack_backlog (sk_acceptq_is_full, include/net/sock.h), so
        // listen(0) holds one. Over backlog + 1, a full queue reads 1.
        const fill = s.rxQueue / (s.txQueue + 1);
        if (fill > this.maxFill[port]!) this.maxFill[port] = fill;
      }
      if (this.serverTotal[port]!++ === 0) this.serverPortsUsed.add(port);
      this.serverStates[port * STATE_COUNT + state]!++;
      return;
    }
    this.rxBytes[state]! += s.rxQueue;
    this.txBytes[state]! += s.txQueue;
    const server = this.listening[s.localPort] === 1;
    if (server) {
      this.serverStates[s.localPort * STATE_COUNT + state]!++;
      this.serverTotal[s.localPort]!++;
    } else {
      if (this.clientTotal[s.remotePort]!++ === 0) this.clientPortsUsed.add(s.remotePort);
      this.clientStates[s.remotePort * STATE_COUNT + state]!++;
    }
    if (state === ESTABLISHED) {
      const ka = s.timer === TIMER_KEEPALIVE ? KA_ARMED : s.timer === TIMER_NONE ? KA_NOT_ARMED : KA_UNKNOWN;
      this.keepalive[ka]!++;
      if (server) this.serverKeepalive[s.localPort * 3 + ka]!++;
      else this.clientKeepalive[s.remotePort * 3 + ka]!++;
    }
  }

  /** The aggregate of everything added since the last reset, with port caps applied. */
  summarize(): SocketSummary {
    const { maxServerPorts, topClientPorts, pinnedPorts } = this.limits;
    const server = selectPorts(this.serverTotal, this.serverPortsUsed.ports(), maxServerPorts, pinnedPorts);
    const client = selectPorts(this.clientTotal, this.clientPortsUsed.ports(), topClientPorts, pinnedPorts);
    return {
      byFamily: { ipv4: Array.from(this.family.ipv4), ipv6: Array.from(this.family.ipv6) },
      serverPorts: this.portStates(this.serverStates, server),
      clientPorts: this.portStates(this.clientStates, client),
      listenQueues: this.listenQueues(server),
      receiveQueueBytes: Array.from(this.rxBytes),
      sendQueueBytes: Array.from(this.txBytes),
      keepalive: coverage(this.keepalive[KA_ARMED]!, this.keepalive[KA_NOT_ARMED]!, this.keepalive[KA_UNKNOWN]!),
      keepaliveByServerPort: keepaliveByPorts(this.serverKeepalive, server),
      keepaliveByClientPort: keepaliveByPorts(this.clientKeepalive, client),
    };
  }

  private portStates(counts: Uint32Array, sel: PortSelection): PortStates[] {
    const out: PortStates[] = sel.named.map((port) => ({ port: String(port), states: statesOf(counts, port) }));
    const other = zeroStates();
    for (const port of sel.folded) {
      for (let i = 0; i < STATE_COUNT; i++) other[i]! += counts[port * STATE_COUNT + i]!;
    }
    out.push({ port: OTHER_PORT, states: other });
    return out;
  }

  private listenQueues(sel: PortSelection): ListenQueue[] {
    const one = (port: string, ports: readonly number[]): ListenQueue => {
      let listeners = 0;
      let accept = 0;
      let backlog = 0;
      let fill = 0;
      let known = true;
      for (const p of ports) {
        listeners += this.listeners[p]!;
        accept += this.acceptQueue[p]!;
        backlog += this.backlog[p]!;
        fill = Math.max(fill, this.maxFill[p]!);
        if (this.backlogUnknown[p] === 1) known = false;
      }
      return { port, listeners, acceptQueue: accept, backlog: known ? backlog : null, maxFillRatio: known ? fill : null };
    };
    const out = sel.named.filter((p) => this.listening[p] === 1).map((p) => one(String(p), [p]));
    out.push(one(OTHER_PORT, sel.folded.filter((p) => this.listening[p] === 1)));
    return out;
  }
}

interface PortSelection {
  named: readonly number[];
  folded: readonly number[];
}

function keepaliveByPorts(counts: Uint32Array, sel: PortSelection): PortKeepalive[] {
  const one = (port: string, ports: readonly number[]): PortKeepalive => {
    let armed = 0;
    let notArmed = 0;
    let unknown = 0;
    for (const p of ports) {
      armed += counts[p * 3 + KA_ARMED]!;
      notArmed += counts[p * 3 + KA_NOT_ARMED]!;
      unknown += counts[p * 3 + KA_UNKNOWN]!;
    }
    return { port, ...coverage(armed, notArmed, unknown) };
  };
  const out = sel.named.map((p) => one(String(p), [p]));
  out.push(one(OTHER_PORT, sel.folded));
  return out;
}

function statesOf(counts: Uint32Array, port: number): number[] {
  return Array.from(counts.subarray(port * STATE_COUNT, (port + 1) * STATE_COUNT));
}

function coverage(armed: number, notArmed: number, unknown: number): KeepaliveCoverage {
  return { armed, notArmed, unknown };
}

/** A set of ports in insertion order, without allocation after construction. */
class PortList {
  private readonly list = new Uint16Array(PORTS);
  private length = 0;

  add(port: number): void {
    this.list[this.length++] = port;
  }

  ports(): Uint16Array {
    return this.list.subarray(0, this.length);
  }

  clear(): void {
    this.length = 0;
  }
}
