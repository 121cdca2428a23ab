import type { PortClosedConnections } from '../aggregate/closedConnections.js';
import { RTT_BUCKETS_US, type PortTcpInfo, type TcpInfoSummary } from '../aggregate/tcpInfoAggregator.js';
import type { ConnectionsResult } from '../collectors/connectionsCollector.js';
import type { NetnsResult } from '../collectors/netnsCollector.js';

type Table = (header: readonly string[], rows: readonly (readonly (string | number)[])[]) => string;

/** Bytes as a person reads them: 1.5 MiB. */
function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}

/** Seconds as milliseconds, to 0.01 ms. */
const ms = (seconds: number): string => `${(seconds * 1000).toFixed(2)} ms`;

/** The bucket bound under which a share q of the sockets' RTTs fall ("> 10000 ms" past the last). */
export function rttQuantileBound(p: PortTcpInfo, q: number): string {
  const want = q * p.rttCount;
  const i = p.rttBuckets.findIndex((n) => n >= want);
  return i < RTT_BUCKETS_US.length ? `≤ ${RTT_BUCKETS_US[i]! / 1000} ms` : `> ${RTT_BUCKETS_US[RTT_BUCKETS_US.length - 1]! / 1000} ms`;
}

/** --collector.connections as `snapshot` prints it: closed connections per role and port since the exporter started. */
export function closedConnectionsSection(d: ConnectionsResult, table: Table): string[] {
  const rows = (role: string, ports: readonly PortClosedConnections[]): (string | number)[][] =>
    ports.filter((p) => p.closed > 0).map((p) => [role, p.port, p.closed, bytes(p.bytesSent), bytes(p.bytesReceived), p.segmentsOut, p.segmentsIn, p.retransmitted]);
  const all = [...rows('server', d.serverPorts), ...rows('client', d.clientPorts)];
  return [
    `CLOSED CONNECTIONS since the exporter started (socket destroy events; lost: ${d.lost}, receive buffer ${bytes(d.receiveBufferBytes)})`,
    // Events are read from the first collection on: a one-shot snapshot ends before any arrives.
    all.length === 0 ? '  (none yet: connections count as they close, from the first collection on; `watch` shows them as they come)' : table(['ROLE', 'PORT', 'CLOSED', 'SENT', 'RECEIVED', 'SEGS-OUT', 'SEGS-IN', 'RETRANS'], all),
  ];
}

/**
 * --collector.netns with --collector.connections as `snapshot` prints it: closed connections per
 * network namespace whose events are read, and how many collected namespaces are not.
 */
export function namespaceConnectionsSection(d: NetnsResult, table: Table): string[] {
  const e = d.connectionEvents;
  if (!e) return [];
  const rows = d.namespaces.flatMap((ns) => {
    const c = ns.closedConnections;
    return c ? [[ns.netns, ns.podUid || '-', c.closed, bytes(c.bytesSent), bytes(c.bytesReceived), c.segmentsOut, c.segmentsIn, c.retransmitted, c.lost]] : [];
  });
  return [
    `CLOSED CONNECTIONS PER NETWORK NAMESPACE (read in ${e.read} of ${e.read + e.unread} collected${e.refused ? `; others not read: ${e.refused}` : ''})`,
    rows.length === 0 ? '  (none)' : table(['NETNS', 'POD', 'CLOSED', 'SENT', 'RECEIVED', 'SEGS-OUT', 'SEGS-IN', 'RETRANS', 'LOST'], rows),
  ];
}

/** --collector.tcpinfo as `snapshot` prints it: RTT and retransmitting ESTABLISHED sockets per role and port. */
export function tcpInfoSection(d: TcpInfoSummary, table: Table): string[] {
  const rows = (role: string, ports: readonly PortTcpInfo[]): (string | number)[][] =>
    ports
      .filter((p) => p.rttCount > 0)
      .map((p) => [role, p.port, p.rttCount, ms(p.rttSumSeconds / p.rttCount), rttQuantileBound(p, 0.5), rttQuantileBound(p, 0.99), p.retransmitting]);
  const all = [...rows('server', d.serverPorts), ...rows('client', d.clientPorts)];
  return ['TCP_INFO of ESTABLISHED sockets', all.length === 0 ? '  (none)' : table(['ROLE', 'PORT', 'SOCKETS', 'RTT-MEAN', 'RTT-P50', 'RTT-P99', 'RETRANSMITTING'], all)];
}
