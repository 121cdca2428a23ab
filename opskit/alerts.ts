import { SETTINGS as S } from './settings.js';

export type Severity = 'critical' | 'warning' | 'info';

/** One promtool unit test of an alert: input series, a time, and the alerts expected then. */
export interface AlertCase {
  name: string;
  /** Series selector (labels included) → promtool's expanding notation, one sample per minute. */
  series: Readonly<Record<string, string>>;
  evalTime: string;
  /** The alerts expected to fire at evalTime: their labels (beyond the rule's) and $value as the description renders it. Empty: must not fire. */
  fires: ReadonlyArray<{ labels: Readonly<Record<string, string>>; value: string }>;
}

export interface AlertSpec {
  alert: string;
  expr: string;
  for: string;
  severity: Severity;
  /** A static sentence: what is wrong, for notification titles. */
  summary: string;
  /** Templated with {{ $labels.* }} and {{ $value }}: where and how much. */
  description: string;
  cases: readonly AlertCase[];
}

/** `metric{<selector>,extra}`: every rule finds the exporter through SETTINGS.selector. */
export function sel(metric: string, extra = ''): string {
  return `${metric}{${S.selector}${extra ? `,${extra}` : ''}}`;
}

const T = { job: 'tcpstate', instance: 'node-1:9816' };
const series = (metric: string, labels: Readonly<Record<string, string>> = {}): string =>
  `${metric}{${Object.entries({ ...T, ...labels })
    .map(([k, v]) => `${k}="${v}"`)
    .join(',')}}`;

export const ALERTS: readonly AlertSpec[] = [
  {
    alert: 'TcpstateCloseWaitLeak',
    expr: `min_over_time(${sel('tcpstate_port_sockets', 'state="close_wait"')}[${S.closeWait.for}]) > ${S.closeWait.sockets} and deriv(${sel('tcpstate_port_sockets', 'state="close_wait"')}[${S.closeWait.for}]) >= 0`,
    for: S.closeWait.for,
    severity: 'warning',
    summary: 'Sockets pile up in CLOSE_WAIT: an application is not closing connections its peers closed.',
    description: '{{ $value | humanize }} sockets on {{ $labels.role }} port {{ $labels.port }} of {{ $labels.instance }} have stayed in CLOSE_WAIT without draining.',
    cases: [
      { name: 'a CLOSE_WAIT count that grows, then stays high, fires', series: { [series('tcpstate_port_sockets', { role: 'server', port: '8080', state: 'close_wait' })]: '150+5x30 300x30' }, evalTime: '50m', fires: [{ labels: { role: 'server', port: '8080', state: 'close_wait' }, value: '300' }] },
      { name: 'a high count that drains does not', series: { [series('tcpstate_port_sockets', { role: 'server', port: '8080', state: 'close_wait' })]: '900-5x60' }, evalTime: '45m', fires: [] },
      { name: 'a low count does not', series: { [series('tcpstate_port_sockets', { role: 'server', port: '8080', state: 'close_wait' })]: '0+1x60' }, evalTime: '45m', fires: [] },
    ],
  },
  {
    alert: 'TcpstateTimeWaitStorm',
    expr: `sum without (family) (${sel('tcpstate_sockets', 'state="time_wait"')}) > ${S.timeWait.sockets}`,
    for: S.timeWait.for,
    severity: 'warning',
    summary: 'Many sockets are in TIME_WAIT: connections are opened and closed at a high rate.',
    description: '{{ $labels.instance }} has {{ $value | humanize }} sockets in TIME_WAIT.',
    cases: [
      { name: 'fires above the threshold', series: { [series('tcpstate_sockets', { family: 'ipv4', state: 'time_wait' })]: '40000x30', [series('tcpstate_sockets', { family: 'ipv6', state: 'time_wait' })]: '20000x30' }, evalTime: '20m', fires: [{ labels: { state: 'time_wait' }, value: '60k' }] },
      { name: 'not below it', series: { [series('tcpstate_sockets', { family: 'ipv4', state: 'time_wait' })]: '40000x30' }, evalTime: '20m', fires: [] },
    ],
  },
  {
    alert: 'TcpstateTimeWaitNearBucketLimit',
    expr: `sum without (family, state) (${sel('tcpstate_sockets', 'state="time_wait"')}) / on (job, instance) ${sel('tcpstate_sysctl_max_tw_buckets')} > ${S.timeWaitBuckets.ratio}`,
    for: S.timeWaitBuckets.for,
    severity: 'critical',
    summary: 'TIME_WAIT sockets are close to net.ipv4.tcp_max_tw_buckets: beyond it the kernel destroys them early.',
    description: 'TIME_WAIT sockets on {{ $labels.instance }} use {{ $value | humanizePercentage }} of tcp_max_tw_buckets.',
    cases: [
      { name: 'fires at 90 % of the buckets', series: { [series('tcpstate_sockets', { family: 'ipv4', state: 'time_wait' })]: '9000x20', [series('tcpstate_sysctl_max_tw_buckets')]: '10000x20' }, evalTime: '10m', fires: [{ labels: {}, value: '90%' }] },
      { name: 'not at 50 %', series: { [series('tcpstate_sockets', { family: 'ipv4', state: 'time_wait' })]: '5000x20', [series('tcpstate_sysctl_max_tw_buckets')]: '10000x20' }, evalTime: '10m', fires: [] },
    ],
  },
  {
    alert: 'TcpstateListenQueueOverflow',
    expr: `rate(${sel('tcpstate_tcpext_listen_drops_total')}[5m]) > ${S.listenOverflow.perSecond}`,
    for: S.listenOverflow.for,
    severity: 'warning',
    summary: 'Connections are dropped at listen: an accept queue is full or the SYN queue overflows.',
    description: '{{ $labels.instance }} drops {{ $value | humanize }} connection attempts per second at listening sockets.',
    cases: [
      { name: 'fires while drops increase', series: { [series('tcpstate_tcpext_listen_drops_total')]: '0+60x20' }, evalTime: '15m', fires: [{ labels: {}, value: '1' }] },
      { name: 'not while the counter is flat', series: { [series('tcpstate_tcpext_listen_drops_total')]: '500x20' }, evalTime: '15m', fires: [] },
    ],
  },
  {
    alert: 'TcpstateListenQueueNearFull',
    expr: `${sel('tcpstate_listen_queue_max_fill_ratio')} > ${S.listenQueueFill.ratio}`,
    for: S.listenQueueFill.for,
    severity: 'warning',
    summary: 'A listen queue is nearly full: the application accepts connections more slowly than they arrive.',
    description: 'The fullest listener on port {{ $labels.port }} of {{ $labels.instance }} has its accept queue {{ $value | humanizePercentage }} full.',
    cases: [
      { name: 'fires at 95 %', series: { [series('tcpstate_listen_queue_max_fill_ratio', { port: '8080' })]: '0.95x20' }, evalTime: '10m', fires: [{ labels: { port: '8080' }, value: '95%' }] },
      { name: 'not at 10 %', series: { [series('tcpstate_listen_queue_max_fill_ratio', { port: '8080' })]: '0.1x20' }, evalTime: '10m', fires: [] },
    ],
  },
  {
    alert: 'TcpstateEphemeralPortPressure',
    expr: `${sel('tcpstate_ephemeral_port_worst_destination_ratio')} > ${S.ephemeralPorts.warning}`,
    for: S.ephemeralPorts.for,
    severity: 'warning',
    summary: 'Outgoing connections to one destination use most of the ephemeral port range.',
    description: 'Connections from {{ $labels.instance }} to its busiest destination hold {{ $value | humanizePercentage }} of the usable ephemeral ports.',
    cases: [
      { name: 'fires at 85 %', series: { [series('tcpstate_ephemeral_port_worst_destination_ratio')]: '0.85x20' }, evalTime: '10m', fires: [{ labels: {}, value: '85%' }] },
      { name: 'not at 50 %', series: { [series('tcpstate_ephemeral_port_worst_destination_ratio')]: '0.5x20' }, evalTime: '10m', fires: [] },
    ],
  },
  {
    alert: 'TcpstateEphemeralPortExhaustion',
    expr: `${sel('tcpstate_ephemeral_port_worst_destination_ratio')} > ${S.ephemeralPorts.critical}`,
    for: S.ephemeralPorts.for,
    severity: 'critical',
    summary: 'Outgoing connections to one destination are about to fail with EADDRNOTAVAIL.',
    description: 'Connections from {{ $labels.instance }} to its busiest destination hold {{ $value | humanizePercentage }} of the usable ephemeral ports.',
    cases: [
      { name: 'fires at 98 %', series: { [series('tcpstate_ephemeral_port_worst_destination_ratio')]: '0.98x20' }, evalTime: '10m', fires: [{ labels: {}, value: '98%' }] },
      { name: 'not at 85 %', series: { [series('tcpstate_ephemeral_port_worst_destination_ratio')]: '0.85x20' }, evalTime: '10m', fires: [] },
    ],
  },
  {
    alert: 'TcpstateKeepaliveOff',
    expr: `${sel('tcpstate_port_established_keepalive_sockets', 'keepalive="not_armed"')} / ignoring (keepalive) sum without (keepalive) (${sel('tcpstate_port_established_keepalive_sockets')}) > ${S.keepaliveOff.ratio} and ignoring (keepalive) sum without (keepalive) (${sel('tcpstate_port_established_keepalive_sockets')}) >= ${S.keepaliveOff.minSockets}`,
    for: S.keepaliveOff.for,
    severity: 'info',
    summary: 'Most established connections on a server port have no keepalive: dead peers go unnoticed.',
    description: '{{ $value | humanizePercentage }} of the established connections on port {{ $labels.port }} of {{ $labels.instance }} have no keepalive timer.',
    cases: [
      {
        name: 'fires when 80 of 100 connections have none',
        series: { [series('tcpstate_port_established_keepalive_sockets', { port: '5432', keepalive: 'not_armed' })]: '80x60', [series('tcpstate_port_established_keepalive_sockets', { port: '5432', keepalive: 'armed' })]: '20x60' },
        evalTime: '45m',
        fires: [{ labels: { port: '5432' }, value: '80%' }],
      },
      {
        name: 'not on a port with few connections',
        series: { [series('tcpstate_port_established_keepalive_sockets', { port: '5432', keepalive: 'not_armed' })]: '5x60', [series('tcpstate_port_established_keepalive_sockets', { port: '5432', keepalive: 'armed' })]: '0x60' },
        evalTime: '45m',
        fires: [],
      },
    ],
  },
  {
    alert: 'TcpstateKeepaliveDetectionSlow',
    expr: `${sel('tcpstate_keepalive_dead_peer_detection_seconds')} > ${S.deadPeerDetection.seconds}`,
    for: S.deadPeerDetection.for,
    severity: 'info',
    summary: 'Keepalive takes hours to notice a dead peer: the kernel defaults are in effect.',
    description: 'With its keepalive sysctls, {{ $labels.instance }} notices a dead peer only after {{ $value | humanizeDuration }}.',
    cases: [
      { name: 'fires on the kernel defaults (7200 + 9 × 75 s)', series: { [series('tcpstate_keepalive_dead_peer_detection_seconds')]: '7875x90' }, evalTime: '80m', fires: [{ labels: {}, value: '2h 11m 15s' }] },
      { name: 'not on a tuned host (300 + 5 × 30 s)', series: { [series('tcpstate_keepalive_dead_peer_detection_seconds')]: '450x90' }, evalTime: '80m', fires: [] },
    ],
  },
  {
    alert: 'TcpstateRetransmitRatioHigh',
    expr: `rate(${sel('tcpstate_tcp_retransmitted_segments_total')}[5m]) / rate(${sel('tcpstate_tcp_out_segments_total')}[5m]) > ${S.retransmits.ratio} and rate(${sel('tcpstate_tcp_out_segments_total')}[5m]) > ${S.retransmits.minSegmentsPerSecond}`,
    for: S.retransmits.for,
    severity: 'warning',
    summary: 'Many TCP segments are retransmitted: packets are being lost or delayed.',
    description: '{{ $value | humanizePercentage }} of the segments {{ $labels.instance }} sends are retransmissions.',
    cases: [
      { name: 'fires at 5 %', series: { [series('tcpstate_tcp_retransmitted_segments_total')]: '0+3000x40', [series('tcpstate_tcp_out_segments_total')]: '0+60000x40' }, evalTime: '30m', fires: [{ labels: {}, value: '5%' }] },
      { name: 'not at 0.1 %', series: { [series('tcpstate_tcp_retransmitted_segments_total')]: '0+60x40', [series('tcpstate_tcp_out_segments_total')]: '0+60000x40' }, evalTime: '30m', fires: [] },
      { name: 'not on an idle host', series: { [series('tcpstate_tcp_retransmitted_segments_total')]: '0+30x40', [series('tcpstate_tcp_out_segments_total')]: '0+600x40' }, evalTime: '30m', fires: [] },
    ],
  },
  {
    alert: 'TcpstateExporterDown',
    expr: `up{${S.selector}} == 0`,
    for: S.exporterDown.for,
    severity: 'critical',
    summary: 'Prometheus cannot scrape tcpstate-exporter: TCP state alerts are blind.',
    description: 'The scrape of {{ $labels.instance }} (job {{ $labels.job }}) has failed for 5 minutes.',
    cases: [
      { name: 'fires when scrapes fail', series: { [series('up')]: '0x20' }, evalTime: '10m', fires: [{ labels: {}, value: '0' }] },
      { name: 'not when they succeed', series: { [series('up')]: '1x20' }, evalTime: '10m', fires: [] },
    ],
  },
  {
    alert: 'TcpstateCollectorFailing',
    expr: `${sel('tcpstate_collector_success')} == 0`,
    for: S.collectorFailing.for,
    severity: 'warning',
    summary: 'An exporter collector keeps failing: its metrics are missing.',
    description: 'The {{ $labels.collector }} collector of {{ $labels.instance }} has failed every cycle for 10 minutes; the exporter log says why.',
    cases: [
      { name: 'fires when it keeps failing', series: { [series('tcpstate_collector_success', { collector: 'netstat' })]: '0x20' }, evalTime: '15m', fires: [{ labels: { collector: 'netstat' }, value: '0' }] },
      { name: 'not when it recovers', series: { [series('tcpstate_collector_success', { collector: 'netstat' })]: '0x5 1x15' }, evalTime: '15m', fires: [] },
    ],
  },
  {
    alert: 'TcpstateSnapshotStale',
    expr: `${sel('tcpstate_snapshot_age_seconds')} > ${S.staleSnapshot.intervals} * ${sel('tcpstate_collection_interval_seconds')}`,
    for: S.staleSnapshot.for,
    severity: 'warning',
    summary: 'The exporter serves an old snapshot: collection is stuck or much slower than its interval.',
    description: 'The snapshot {{ $labels.instance }} serves is {{ $value | humanizeDuration }} old.',
    cases: [
      { name: 'fires when the age keeps growing', series: { [series('tcpstate_snapshot_age_seconds')]: '0+60x20', [series('tcpstate_collection_interval_seconds')]: '15x20' }, evalTime: '15m', fires: [{ labels: {}, value: '15m 0s' }] },
      { name: 'not while snapshots are fresh', series: { [series('tcpstate_snapshot_age_seconds')]: '7x20', [series('tcpstate_collection_interval_seconds')]: '15x20' }, evalTime: '15m', fires: [] },
    ],
  },
];
