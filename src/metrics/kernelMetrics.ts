import type { CounterValues } from '../collectors/snmpCollector.js';
import { deadPeerDetectionSeconds, type SysctlName, type SysctlResult } from '../collectors/sysctlCollector.js';
import { fromData, type MetricFamily } from './metricFamily.js';

/** A served family for one kernel field: the field's name in the collector's data, the family's full name. */
interface KernelField {
  key: string;
  name: string;
  type: 'counter' | 'gauge';
  help: string;
  /** Multiplier to the served unit (0.001: the kernel counts milliseconds, served in seconds); 1 if absent. */
  scale?: number;
}

/** The Tcp fields of /proc/net/snmp served (RFC 1213 tcp group). */
const SNMP_TCP: readonly KernelField[] = [
  { key: 'ActiveOpens', name: 'tcpstate_tcp_active_opens_total', type: 'counter', help: 'Connections opened by this host (SYN_SENT from CLOSED). (/proc/net/snmp Tcp ActiveOpens)' },
  { key: 'PassiveOpens', name: 'tcpstate_tcp_passive_opens_total', type: 'counter', help: 'Connections accepted from a listener (SYN_RECV from LISTEN). (/proc/net/snmp Tcp PassiveOpens)' },
  { key: 'AttemptFails', name: 'tcpstate_tcp_attempt_fails_total', type: 'counter', help: 'Connection attempts that failed (SYN_SENT or SYN_RECV back to CLOSED or LISTEN). (/proc/net/snmp Tcp AttemptFails)' },
  { key: 'EstabResets', name: 'tcpstate_tcp_established_resets_total', type: 'counter', help: 'Resets of ESTABLISHED or CLOSE_WAIT connections. (/proc/net/snmp Tcp EstabResets)' },
  { key: 'CurrEstab', name: 'tcpstate_tcp_current_established', type: 'gauge', help: 'Connections in ESTABLISHED or CLOSE_WAIT, as the kernel counts them. (/proc/net/snmp Tcp CurrEstab)' },
  { key: 'InSegs', name: 'tcpstate_tcp_in_segments_total', type: 'counter', help: 'Segments received, including those in error. (/proc/net/snmp Tcp InSegs)' },
  { key: 'OutSegs', name: 'tcpstate_tcp_out_segments_total', type: 'counter', help: 'Segments sent, excluding retransmissions. (/proc/net/snmp Tcp OutSegs)' },
  { key: 'RetransSegs', name: 'tcpstate_tcp_retransmitted_segments_total', type: 'counter', help: 'Segments retransmitted. (/proc/net/snmp Tcp RetransSegs)' },
  { key: 'InErrs', name: 'tcpstate_tcp_in_errors_total', type: 'counter', help: 'Segments received in error (bad checksum, bad header). (/proc/net/snmp Tcp InErrs)' },
  { key: 'OutRsts', name: 'tcpstate_tcp_out_resets_total', type: 'counter', help: 'Segments sent with the RST flag. (/proc/net/snmp Tcp OutRsts)' },
];

/** The TcpExt fields of /proc/net/netstat served: those that bear on socket lifetime and TCP memory. */
const NETSTAT_TCPEXT: readonly KernelField[] = [
  { key: 'ListenOverflows', name: 'tcpstate_tcpext_listen_overflows_total', type: 'counter', help: "Connections dropped because a listener's accept queue was full. (/proc/net/netstat TcpExt ListenOverflows)" },
  { key: 'ListenDrops', name: 'tcpstate_tcpext_listen_drops_total', type: 'counter', help: 'Connection requests dropped by a listener for any reason, overflows included. (/proc/net/netstat TcpExt ListenDrops)' },
  { key: 'TCPTimeWaitOverflow', name: 'tcpstate_tcpext_time_wait_overflow_total', type: 'counter', help: 'TIME_WAIT sockets not created because tcp_max_tw_buckets was reached. (/proc/net/netstat TcpExt TCPTimeWaitOverflow)' },
  { key: 'TCPAbortOnTimeout', name: 'tcpstate_tcpext_abort_on_timeout_total', type: 'counter', help: 'Connections aborted after retransmission or keepalive timeouts. (/proc/net/netstat TcpExt TCPAbortOnTimeout)' },
  { key: 'TCPAbortOnClose', name: 'tcpstate_tcpext_abort_on_close_total', type: 'counter', help: 'Connections reset because the application closed with unread data. (/proc/net/netstat TcpExt TCPAbortOnClose)' },
  { key: 'TCPAbortOnData', name: 'tcpstate_tcpext_abort_on_data_total', type: 'counter', help: 'Connections reset because data arrived after the application closed. (/proc/net/netstat TcpExt TCPAbortOnData)' },
  { key: 'TCPAbortOnMemory', name: 'tcpstate_tcpext_abort_on_memory_total', type: 'counter', help: 'Connections aborted for lack of memory or too many orphans. (/proc/net/netstat TcpExt TCPAbortOnMemory)' },
  { key: 'TCPSynRetrans', name: 'tcpstate_tcpext_syn_retransmits_total', type: 'counter', help: 'SYN and SYN-ACK retransmissions. (/proc/net/netstat TcpExt TCPSynRetrans)' },
  { key: 'SyncookiesSent', name: 'tcpstate_tcpext_syncookies_sent_total', type: 'counter', help: 'SYN cookies sent (the SYN queue overflowed). (/proc/net/netstat TcpExt SyncookiesSent)' },
  { key: 'SyncookiesRecv', name: 'tcpstate_tcpext_syncookies_received_total', type: 'counter', help: 'Valid SYN cookies received. (/proc/net/netstat TcpExt SyncookiesRecv)' },
  { key: 'SyncookiesFailed', name: 'tcpstate_tcpext_syncookies_failed_total', type: 'counter', help: 'Invalid SYN cookies received. (/proc/net/netstat TcpExt SyncookiesFailed)' },
  // TCPMemoryPressuresChrono is missing on kernels older than 4.x; like any field the kernel
  // lacks, it is then absent (not 0), and the collector still succeeds.
  { key: 'TCPMemoryPressures', name: 'tcpstate_tcpext_memory_pressures_total', type: 'counter', help: 'Times TCP entered memory pressure (allocated pages above the second value of net.ipv4.tcp_mem). (/proc/net/netstat TcpExt TCPMemoryPressures)' },
  { key: 'TCPMemoryPressuresChrono', name: 'tcpstate_tcpext_memory_pressure_seconds_total', type: 'counter', help: 'Time spent in TCP memory pressure, in seconds (the kernel counts milliseconds). (/proc/net/netstat TcpExt TCPMemoryPressuresChrono)', scale: 0.001 },
];

function counterFamilies(collector: 'snmp' | 'netstat', fields: readonly KernelField[]): MetricFamily[] {
  return fields.map((f) => ({
    name: f.name,
    help: f.help,
    type: f.type,
    labelNames: [],
    collector,
    samples: fromData(collector, (d: CounterValues) => {
      const v = d[f.key];
      return v === undefined ? [] : [{ labels: {}, value: f.scale === undefined ? v : v * f.scale }];
    }),
  }));
}

/** A served sysctl: which integer of which sysctl file (SysctlResult keys), in which unit. */
interface SysctlField {
  key: SysctlName;
  /** ip_local_port_range and tcp_mem hold several integers. */
  index?: number;
  name: string;
  help: string;
  /** "pages": the file counts pages, served in bytes (x the kernel's page size). */
  unit?: 'pages';
}

const SYSCTL_FIELDS: readonly SysctlField[] = [
  { key: 'tcp_keepalive_time', name: 'tcpstate_sysctl_keepalive_time_seconds', help: 'net.ipv4.tcp_keepalive_time: idle time before the first keepalive probe, in seconds.' },
  { key: 'tcp_keepalive_intvl', name: 'tcpstate_sysctl_keepalive_interval_seconds', help: 'net.ipv4.tcp_keepalive_intvl: time between keepalive probes, in seconds.' },
  { key: 'tcp_keepalive_probes', name: 'tcpstate_sysctl_keepalive_probes', help: 'net.ipv4.tcp_keepalive_probes: unanswered probes before the connection is dropped.' },
  { key: 'tcp_fin_timeout', name: 'tcpstate_sysctl_fin_timeout_seconds', help: 'net.ipv4.tcp_fin_timeout: how long an orphaned socket stays in FIN_WAIT2, in seconds.' },
  { key: 'tcp_tw_reuse', name: 'tcpstate_sysctl_tw_reuse', help: 'net.ipv4.tcp_tw_reuse: 0 off, 1 on, 2 loopback only; reuse of TIME_WAIT ports for outgoing connections.' },
  { key: 'tcp_max_tw_buckets', name: 'tcpstate_sysctl_max_tw_buckets', help: 'net.ipv4.tcp_max_tw_buckets: TIME_WAIT sockets the kernel keeps before destroying new ones early.' },
  { key: 'tcp_max_syn_backlog', name: 'tcpstate_sysctl_max_syn_backlog', help: 'net.ipv4.tcp_max_syn_backlog: half-open connections remembered per listener.' },
  { key: 'somaxconn', name: 'tcpstate_sysctl_somaxconn', help: 'net.core.somaxconn: upper limit of a listen() backlog.' },
  { key: 'ip_local_port_range', index: 0, name: 'tcpstate_sysctl_local_port_range_min', help: 'net.ipv4.ip_local_port_range: lowest ephemeral port.' },
  { key: 'ip_local_port_range', index: 1, name: 'tcpstate_sysctl_local_port_range_max', help: 'net.ipv4.ip_local_port_range: highest ephemeral port.' },
  { key: 'tcp_syncookies', name: 'tcpstate_sysctl_syncookies', help: 'net.ipv4.tcp_syncookies: 0 off, 1 when the SYN queue overflows, 2 always.' },
  { key: 'tcp_retries2', name: 'tcpstate_sysctl_retries2', help: 'net.ipv4.tcp_retries2: retransmissions before an established connection is given up.' },
  { key: 'tcp_max_orphans', name: 'tcpstate_sysctl_max_orphans', help: 'net.ipv4.tcp_max_orphans: sockets not attached to any process the kernel keeps.' },
  // tcp_mem counts the same pages as sockstat's mem (tcp_memory_allocated), so the two compare.
  { key: 'tcp_mem', index: 0, unit: 'pages', name: 'tcpstate_sysctl_mem_min_bytes', help: 'net.ipv4.tcp_mem (first value) in bytes: below it TCP leaves memory pressure.' },
  { key: 'tcp_mem', index: 1, unit: 'pages', name: 'tcpstate_sysctl_mem_pressure_bytes', help: 'net.ipv4.tcp_mem (second value) in bytes: above it TCP enters memory pressure and shrinks socket buffers (TCPMemoryPressures counts the entries).' },
  { key: 'tcp_mem', index: 2, unit: 'pages', name: 'tcpstate_sysctl_mem_max_bytes', help: 'net.ipv4.tcp_mem (third value) in bytes: above it TCP refuses memory to sockets; orphans are killed (TCPAbortOnMemory).' },
  { key: 'tcp_timestamps', name: 'tcpstate_sysctl_timestamps', help: 'net.ipv4.tcp_timestamps: 0 off, 1 on with a random offset per connection, 2 on without; tcp_tw_reuse needs them on.' },
];

const sysctlFamilies: MetricFamily[] = SYSCTL_FIELDS.map((f) => ({
  name: f.name,
  help: f.help,
  type: 'gauge',
  labelNames: [],
  collector: 'sysctl',
  samples: fromData('sysctl', (d: SysctlResult) => {
    const v = d.values[f.key]?.[f.index ?? 0];
    return v === undefined ? [] : [{ labels: {}, value: f.unit === 'pages' ? v * d.pageSizeBytes : v }];
  }),
}));

const deadPeer: MetricFamily = {
  name: 'tcpstate_keepalive_dead_peer_detection_seconds',
  help: 'Worst-case time for a keepalive-enabled connection to notice a dead peer: keepalive_time + keepalive_intvl x keepalive_probes.',
  type: 'gauge',
  labelNames: [],
  collector: 'sysctl',
  samples: fromData('sysctl', (d) => {
    const v = deadPeerDetectionSeconds(d.values);
    return v === undefined ? [] : [{ labels: {}, value: v }];
  }),
};

/** /proc/net/sockstat's "TCP:" line (and sockstat6's "TCP6:"), by the kernel's keys. */
const sockstatFamilies: MetricFamily[] = [
  {
    name: 'tcpstate_sockstat_sockets_in_use',
    help: 'TCP sockets in use by family, as /proc/net/sockstat{,6} counts them (TIME_WAIT excluded).',
    type: 'gauge',
    labelNames: ['family'],
    collector: 'sockstat',
    samples: fromData('sockstat', (d) => {
      const inuse6 = d.TCP6?.['inuse'];
      return [{ labels: { family: 'ipv4' }, value: d.TCP.inuse }, ...(inuse6 === undefined ? [] : [{ labels: { family: 'ipv6' }, value: inuse6 }])];
    }),
  },
  ...(
    [
      ['tcpstate_sockstat_orphan_sockets', 'TCP sockets no longer attached to a process (/proc/net/sockstat TCP orphan).', 'orphan', 1],
      ['tcpstate_sockstat_time_wait_sockets', 'TCP sockets in TIME_WAIT, both families (/proc/net/sockstat TCP tw).', 'tw', 1],
      ['tcpstate_sockstat_allocated_sockets', 'TCP sockets allocated, any state (/proc/net/sockstat TCP alloc).', 'alloc', 1],
      ['tcpstate_sockstat_memory_bytes', 'Memory used by TCP socket buffers (/proc/net/sockstat TCP mem, pages x page size).', 'mem', 'pages'],
    ] as const
  ).map(
    ([name, help, key, unit]): MetricFamily => ({
      name,
      help,
      type: 'gauge',
      labelNames: [],
      collector: 'sockstat',
      samples: fromData('sockstat', (d) => [{ labels: {}, value: unit === 'pages' ? d.TCP[key] * d.pageSizeBytes : d.TCP[key] }]),
    }),
  ),
];

/** Families of the sysctl, snmp, netstat and sockstat collectors: the kernel's own keys mapped to served names. */
export const KERNEL_METRICS: readonly MetricFamily[] = [
  ...sysctlFamilies,
  deadPeer,
  ...counterFamilies('snmp', SNMP_TCP),
  ...counterFamilies('netstat', NETSTAT_TCPEXT),
  ...sockstatFamilies,
];
