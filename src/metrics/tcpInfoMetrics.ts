import { RTT_BUCKETS_US, type PortTcpInfo, type TcpInfoSummary } from '../aggregate/tcpInfoAggregator.js';
import { fromData, type MetricFamily, type Sample } from './metricFamily.js';

function* perPort(d: TcpInfoSummary, value: (p: PortTcpInfo, labels: { role: string; port: string }) => Iterable<Sample>): Iterable<Sample> {
  for (const p of d.serverPorts) yield* value(p, { role: 'server', port: p.port });
  for (const p of d.clientPorts) yield* value(p, { role: 'client', port: p.port });
}

/** Bucket bounds in seconds, then +Inf. */
const LE = [...RTT_BUCKETS_US.map((us) => us / 1e6), Infinity];

function* histogram(p: PortTcpInfo, labels: { role: string; port: string }): Iterable<Sample> {
  for (let i = 0; i < LE.length; i++) yield { labels, le: LE[i]!, value: p.rttBuckets[i]!, suffix: '_bucket' };
  yield { labels, value: p.rttSumSeconds, suffix: '_sum' };
  yield { labels, value: p.rttCount, suffix: '_count' };
}

/**
 * --collector.tcpinfo: from the struct tcp_info (include/uapi/linux/tcp.h) the sockets walk asks
 * the kernel for (INET_DIAG_INFO) for each ESTABLISHED socket, by role and port as
 * tcpstate_port_sockets (the same named ports, "other" and "ephemeral"), in the same walk.
 */
export const TCP_INFO_METRICS: readonly MetricFamily[] = [
  {
    name: 'tcpstate_port_rtt_seconds',
    help: `Smoothed round-trip time (tcpi_rtt) of the ESTABLISHED sockets, by role and port as tcpstate_port_sockets: a gauge histogram: the sockets at the last collection, not a cumulative count, so its buckets and _count can go down: take histogram_quantile() of the buckets as they are, without rate() (buckets ${RTT_BUCKETS_US.map((us) => `${us / 1000} ms`).join(', ')}). Sockets without an RTT sample yet are left out.`,
    // The sockets present now, not observations since start: OpenMetrics' gaugehistogram
    // (_gcount, _gsum there); the text format has no such type and serves a histogram.
    type: 'gaugehistogram',
    labelNames: ['role', 'port'],
    collector: 'tcpinfo',
    samples: fromData('tcpinfo', (d) => perPort(d, histogram)),
  },
  {
    name: 'tcpstate_port_retransmitting_sockets',
    help: 'ESTABLISHED sockets whose retransmission timer has fired and whose peer has acknowledged nothing since (tcpi_retransmits > 0), by role and port: a peer or path that black-holes our packets. Zero-window probes (the peer not reading) and fast retransmits are not counted, nor data a local egress filter drops before it ever leaves (the kernel never counts it sent, and probes instead: tcpi_probes, tcpi_backoff).',
    type: 'gauge',
    labelNames: ['role', 'port'],
    collector: 'tcpinfo',
    samples: fromData('tcpinfo', (d) => perPort(d, (p, labels) => [{ labels, value: p.retransmitting }])),
  },
];
