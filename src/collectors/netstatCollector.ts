import type { CollectContext, Collector } from './collector.js';
import { readSnmpFields, type CounterSpec, type CounterValues } from './snmpCollector.js';

/** The TcpExt fields of /proc/net/netstat that bear on socket lifetime and TCP memory. */
export const TCPEXT_FIELDS: readonly CounterSpec[] = [
  { field: 'ListenOverflows', metric: 'tcpext_listen_overflows_total', type: 'counter', help: 'Connections dropped because a listener\'s accept queue was full.' },
  { field: 'ListenDrops', metric: 'tcpext_listen_drops_total', type: 'counter', help: 'Connection requests dropped by a listener for any reason, overflows included.' },
  { field: 'TCPTimeWaitOverflow', metric: 'tcpext_time_wait_overflow_total', type: 'counter', help: 'TIME_WAIT sockets not created because tcp_max_tw_buckets was reached.' },
  { field: 'TCPAbortOnTimeout', metric: 'tcpext_abort_on_timeout_total', type: 'counter', help: 'Connections aborted after retransmission or keepalive timeouts.' },
  { field: 'TCPAbortOnClose', metric: 'tcpext_abort_on_close_total', type: 'counter', help: 'Connections reset because the application closed with unread data.' },
  { field: 'TCPAbortOnData', metric: 'tcpext_abort_on_data_total', type: 'counter', help: 'Connections reset because data arrived after the application closed.' },
  { field: 'TCPAbortOnMemory', metric: 'tcpext_abort_on_memory_total', type: 'counter', help: 'Connections aborted for lack of memory or too many orphans.' },
  { field: 'TCPSynRetrans', metric: 'tcpext_syn_retransmits_total', type: 'counter', help: 'SYN and SYN-ACK retransmissions.' },
  { field: 'SyncookiesSent', metric: 'tcpext_syncookies_sent_total', type: 'counter', help: 'SYN cookies sent (the SYN queue overflowed).' },
  { field: 'SyncookiesRecv', metric: 'tcpext_syncookies_received_total', type: 'counter', help: 'Valid SYN cookies received.' },
  { field: 'SyncookiesFailed', metric: 'tcpext_syncookies_failed_total', type: 'counter', help: 'Invalid SYN cookies received.' },
  // TCPMemoryPressuresChrono is missing on kernels older than 4.x; like any field the kernel
  // lacks, it is then absent (not 0), and the collector still succeeds.
  { field: 'TCPMemoryPressures', metric: 'tcpext_memory_pressures_total', type: 'counter', help: 'Times TCP entered memory pressure (allocated pages above the second value of net.ipv4.tcp_mem).' },
  { field: 'TCPMemoryPressuresChrono', metric: 'tcpext_memory_pressure_seconds_total', type: 'counter', help: 'Time spent in TCP memory pressure, in seconds (the kernel counts milliseconds).', scale: 0.001 },
];

export class NetstatCollector implements Collector<CounterValues> {
  readonly name = 'netstat';

  collect(ctx: CollectContext): Promise<CounterValues> {
    return readSnmpFields(ctx.procfs, 'net/netstat', 'TcpExt', TCPEXT_FIELDS);
  }
}
