import type { PortClosedConnections } from '../aggregate/closedConnections.js';
import type { ConnectionsResult } from '../collectors/connectionsCollector.js';
import { fromData, type MetricFamily, type Sample } from './metricFamily.js';

function* perPort(d: ConnectionsResult, value: (p: PortClosedConnections, labels: { role: string; port: string }) => Iterable<Sample>): Iterable<Sample> {
  for (const p of d.serverPorts) yield* value(p, { role: 'server', port: p.port });
  for (const p of d.clientPorts) yield* value(p, { role: 'client', port: p.port });
}

/** A port's two samples of a family with a `direction` label. */
function byDirection(sent: (p: PortClosedConnections) => number, received: (p: PortClosedConnections) => number) {
  return (p: PortClosedConnections, labels: { role: string; port: string }): Sample[] => [
    { labels: { ...labels, direction: 'sent' }, value: sent(p) },
    { labels: { ...labels, direction: 'received' }, value: received(p) },
  ];
}

/**
 * --collector.connections: what the kernel's TCP socket destroy events (sock_diag multicast groups
 * SKNLGRP_INET_TCP_DESTROY and SKNLGRP_INET6_TCP_DESTROY) report, per role and port, summed since
 * the exporter started. Each side of a connection is one event, when its full socket is destroyed
 * (an active closer's when it turns into a TIME_WAIT mini-socket), carrying its struct tcp_info.
 */
export const CONNECTION_METRICS: readonly MetricFamily[] = [
  {
    name: 'tcpstate_port_closed_connections_total',
    help: 'TCP connections closed since the exporter started, per side the host holds (a connection between two local sockets counts once per role), by role and port as tcpstate_port_sockets (role="server": local port of the service; role="client": remote port; ports beyond the caps in port="other", ports inside ip_local_port_range in port="ephemeral"). From the kernel socket destroy events; failed non-blocking connection attempts included, and connections reset in a closing listener\'s accept queue (role="server", no bytes); listeners and failed blocking connect()s (the kernel erases their peer port) not. A port\'s series starts at 0 when the port is admitted: what it closed before stays in port="other" (pin ports with --collector.ports.pin to count them from the start).',
    type: 'counter',
    labelNames: ['role', 'port'],
    collector: 'connections',
    samples: fromData('connections', (d) => perPort(d, (p, labels) => [{ labels, value: p.closed }])),
  },
  {
    name: 'tcpstate_port_closed_connection_bytes_total',
    help: 'Data bytes moved by the closed connections: direction="sent" is tcpi_bytes_sent - tcpi_bytes_retrans (each byte once, no SYN or FIN), direction="received" is tcpi_bytes_received less the peer\'s FIN (one byte low for a connection reset after receiving data, or destroyed before the peer\'s FIN arrived).',
    type: 'counter',
    labelNames: ['role', 'port', 'direction'],
    collector: 'connections',
    samples: fromData('connections', (d) => perPort(d, byDirection((p) => p.bytesSent, (p) => p.bytesReceived))),
  },
  {
    name: 'tcpstate_port_closed_connection_segments_total',
    help: 'Segments of the closed connections, tcpi_segs_out (direction="sent") and tcpi_segs_in (direction="received"): the segments the full socket sent and received while it lived: data, FIN, pure ACKs and retransmissions; a server\'s SYN-ACK (sent by its request socket) and the ACKs a TIME_WAIT socket sends after it are not in them.',
    type: 'counter',
    labelNames: ['role', 'port', 'direction'],
    collector: 'connections',
    samples: fromData('connections', (d) => perPort(d, byDirection((p) => p.segmentsOut, (p) => p.segmentsIn))),
  },
  {
    name: 'tcpstate_port_closed_connection_retransmitted_segments_total',
    help: 'Segments the closed connections retransmitted (tcpi_total_retrans): over the sent segments, the retransmission ratio of the paths behind each port.',
    type: 'counter',
    labelNames: ['role', 'port'],
    collector: 'connections',
    samples: fromData('connections', (d) => perPort(d, (p, labels) => [{ labels, value: p.retransmitted }])),
  },
  {
    name: 'tcpstate_connection_events_lost_total',
    help: "Socket destroy events the kernel dropped because the exporter's receive buffer was full (the event socket's sk_drops): closed connections missing from the counters above, exactly. Raise --collector.connections.receive-buffer (and net.core.rmem_max, or give CAP_NET_ADMIN) when it grows.",
    type: 'counter',
    labelNames: [],
    collector: 'connections',
    samples: fromData('connections', (d) => [{ labels: {}, value: d.lost }]),
  },
];
