import { sel } from './alerts.js';

export interface RecordingSpec {
  record: string;
  expr: string;
  /** What the dashboards use it for. */
  why: string;
}

/**
 * Aggregations the dashboards read, precomputed: the cluster-wide ones scan every node's series,
 * and the ratios would otherwise be recomputed by every panel refresh. Named level:metric:operations.
 */
export const RECORDING_RULES: readonly RecordingSpec[] = [
  { record: 'instance_state:tcpstate_sockets:sum', expr: `sum without (family) (${sel('tcpstate_sockets')})`, why: 'sockets per state per host, both families' },
  { record: 'job_state:tcpstate_sockets:sum', expr: `sum by (job, state) (${sel('tcpstate_sockets')})`, why: 'sockets per state over the whole fleet' },
  { record: 'job_role_port_state:tcpstate_port_sockets:sum', expr: `sum by (job, role, port, state) (${sel('tcpstate_port_sockets')})`, why: 'fleet-wide per-port states (top CLOSE_WAIT and TIME_WAIT ports)' },
  {
    record: 'instance:tcpstate_established_without_keepalive:ratio',
    expr: `${sel('tcpstate_established_keepalive_sockets', 'keepalive="not_armed"')} / ignoring (keepalive) sum without (keepalive) (${sel('tcpstate_established_keepalive_sockets')})`,
    why: 'share of established connections with no keepalive timer',
  },
  {
    record: 'instance:tcpstate_time_wait_buckets:ratio',
    expr: `sum without (family, state) (${sel('tcpstate_sockets', 'state="time_wait"')}) / on (job, instance) ${sel('tcpstate_sysctl_max_tw_buckets')}`,
    why: 'TIME_WAIT sockets against net.ipv4.tcp_max_tw_buckets',
  },
  {
    record: 'instance:tcpstate_tcp_retransmit:ratio_rate5m',
    expr: `rate(${sel('tcpstate_tcp_retransmitted_segments_total')}[5m]) / rate(${sel('tcpstate_tcp_out_segments_total')}[5m])`,
    why: 'share of sent segments that are retransmissions',
  },
  { record: 'instance:tcpstate_tcpext_listen_drops:rate5m', expr: `rate(${sel('tcpstate_tcpext_listen_drops_total')}[5m])`, why: 'connections dropped at listen per second' },
  { record: 'instance:tcpstate_tcp_resets:rate5m', expr: `rate(${sel('tcpstate_tcp_out_resets_total')}[5m]) + rate(${sel('tcpstate_tcp_established_resets_total')}[5m])`, why: 'resets sent plus established connections reset, per second' },
];
