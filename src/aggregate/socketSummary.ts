import { TCP_STATES, type StateCounts } from '../model/tcpState.js';

/** "other" collects every port beyond the caps (or not yet admitted), so the series count stays bounded. */
export const OTHER_PORT = 'other';

/**
 * "ephemeral" collects the ports inside ip_local_port_range (kernel-chosen listener ports, the
 * peers' ports of services in the range), unless --collector.ports.ephemeral-by-number.
 */
export const EPHEMERAL_PORT = 'ephemeral';

export interface PortStates {
  /** A port number as a string, "other" or "ephemeral". */
  port: string;
  states: StateCounts;
}

export interface ListenQueue {
  port: string;
  /** Listening sockets on this port (several with SO_REUSEPORT or per-address binds). */
  listeners: number;
  /** Connections waiting to be accept()ed, summed over the port's listeners. */
  acceptQueue: number;
  /** Configured backlog summed over the listeners; null when the source cannot see it. */
  backlog: number | null;
  /**
   * The fullest listener's acceptQueue / (backlog + 1); null when the backlog is unknown. The
   * kernel queues backlog + 1 connections before it drops (sk_acceptq_is_full() tests
   * sk_ack_backlog > sk_max_ack_backlog), so 1 is a full queue, listen(0) included.
   */
  maxFillRatio: number | null;
}

export interface KeepaliveCoverage {
  /** ESTABLISHED sockets with the keepalive timer armed. */
  armed: number;
  /** ESTABLISHED sockets with no timer at all: keepalive is off for them. */
  notArmed: number;
  /** ESTABLISHED sockets whose retransmit/probe timer hides whether keepalive is on. */
  unknown: number;
}

export interface PortKeepalive extends KeepaliveCoverage {
  port: string;
}

/** The aggregate of one walk over the socket tables. Plain data, frozen when published. */
export interface SocketSummary {
  byFamily: { ipv4: StateCounts; ipv6: StateCounts };
  serverPorts: readonly PortStates[];
  clientPorts: readonly PortStates[];
  listenQueues: readonly ListenQueue[];
  receiveQueueBytes: StateCounts;
  sendQueueBytes: StateCounts;
  keepalive: KeepaliveCoverage;
  /** ESTABLISHED server sockets by local listening port, capped as serverPorts. */
  keepaliveByServerPort: readonly PortKeepalive[];
  /** ESTABLISHED client sockets by remote port, capped as clientPorts. */
  keepaliveByClientPort: readonly PortKeepalive[];
}

export interface PortLimits {
  /** Listening ports reported by number; the rest fold into "other". */
  maxServerPorts: number;
  /** Remote ports of outgoing connections reported by number (top-K by socket count). */
  topClientPorts: number;
  /** Ports always reported in both roles, even at zero, on top of the caps; never folded. */
  pinnedPorts: readonly number[];
  /**
   * Ports inside ip_local_port_range: summed in port="ephemeral" ("fold", the default) or
   * reported by number like any other port ("number").
   */
  ephemeralPorts?: 'fold' | 'number';
}

export const DEFAULT_PORT_LIMITS: PortLimits = { maxServerPorts: 50, topClientPorts: 20, pinnedPorts: [], ephemeralPorts: 'fold' };

/** Label values per role on top of the named ports: "other", and "ephemeral" in fold mode. */
export function bucketCount(limits: PortLimits): number {
  return limits.ephemeralPorts === 'number' ? 1 : 2;
}

/**
 * Upper bound of tcpstate_port_sockets series: (ports per role + the buckets) x the states served
 * for the role: all 11 for servers, 10 for clients (a client socket is never LISTEN, so
 * role="client",state="listen" is not served).
 */
export function worstCasePortSeries(limits: PortLimits, states = TCP_STATES.length): number {
  const pinned = limits.pinnedPorts.length;
  const b = bucketCount(limits);
  return (limits.maxServerPorts + pinned + b) * states + (limits.topClientPorts + pinned + b) * (states - 1);
}

/** Upper bound of tcpstate_port_established_keepalive_sockets series: (ports per role + the buckets) x 3, both roles. */
export function worstCaseKeepaliveSeries(limits: PortLimits): number {
  const pinned = limits.pinnedPorts.length;
  const b = bucketCount(limits);
  return (limits.maxServerPorts + pinned + b) * 3 + (limits.topClientPorts + pinned + b) * 3;
}
