// Issue 12 item 2: a healthy host with stock sysctls (keepalive 7200 s, tcp_max_tw_buckets
// 262144, no keepalive on an ordinary HTTP server's connections) fires nothing, at any
// severity, after every `for` has passed.
local t = import '../lib.libsonnet';

local n = 'x150';
local s(metric, labels, value) = t.series(metric, labels, std.toString(value) + n);
local ports = [
  s('tcpstate_port_sockets', { role: role, port: port, state: state }, value)
  for role in ['server', 'client']
  for port in (if role == 'server' then ['8080'] else ['5432'])
  for state in ['established', 'syn_sent', 'syn_recv', 'close_wait', 'time_wait']
  for value in [{ established: 40, syn_sent: 0, syn_recv: 1, close_wait: 2, time_wait: 30 }[state]]
];

[
  {
    name: 'a healthy host with stock sysctls fires nothing',
    interval: '1m',
    input_series: ports + [
      s('tcpstate_sockets', { family: 'ipv4', state: 'established' }, 80),
      s('tcpstate_sockets', { family: 'ipv4', state: 'time_wait' }, 60),
      t.series('tcpstate_tcpext_listen_overflows_total', {}, '0' + n),
      t.series('tcpstate_tcpext_listen_drops_total', {}, '0' + n),
      s('tcpstate_listen_queue_max_fill_ratio', { port: '8080' }, 0.01),
      t.series('tcpstate_tcpext_syncookies_sent_total', {}, '0' + n),
      s('tcpstate_ephemeral_port_destination_usage_ratio', { rank: '1', family: 'ipv4', remote_address: '10.1.2.3', remote_port: '5432' }, 0.0015),
      s('tcpstate_ephemeral_ports_held', { state: 'exclusive' }, 0),
      s('tcpstate_ephemeral_ports_held', { state: 'shared' }, 40),
      s('tcpstate_ephemeral_ports_held', { state: 'time_wait' }, 30),
      s('tcpstate_ephemeral_ports_usable', {}, 28232),
      t.series('tcpstate_tcp_retransmitted_segments_total', {}, '0+5' + n),
      t.series('tcpstate_tcp_out_segments_total', {}, '0+6000' + n),
      s('tcpstate_port_established_keepalive_sockets', { role: 'server', port: '8080', keepalive: 'not_armed' }, 40),
      s('tcpstate_port_established_keepalive_sockets', { role: 'server', port: '8080', keepalive: 'armed' }, 0),
      s('tcpstate_port_established_keepalive_sockets', { role: 'client', port: '5432', keepalive: 'not_armed' }, 0),
      s('tcpstate_port_established_keepalive_sockets', { role: 'client', port: '5432', keepalive: 'armed' }, 40),
      s('tcpstate_sysctl_keepalive_time_seconds', {}, 7200),
      s('tcpstate_keepalive_dead_peer_detection_seconds', {}, 7875),
      s('tcpstate_sockstat_memory_bytes', {}, 2097152),
      s('tcpstate_sysctl_mem_pressure_bytes', {}, 380e6),
      t.series('tcpstate_tcpext_memory_pressures_total', {}, '0' + n),
      t.series('tcpstate_tcpext_abort_on_memory_total', {}, '0' + n),
      s('tcpstate_sockstat_orphan_sockets', {}, 0),
      s('tcpstate_sysctl_max_orphans', {}, 65536),
      s('tcpstate_sockstat_time_wait_sockets', {}, 60),
      s('tcpstate_sysctl_max_tw_buckets', {}, 262144),
      t.series('tcpstate_tcpext_time_wait_overflow_total', {}, '0' + n),
      s('up', {}, 1),
      s('tcpstate_build_info', { version: '0.1.0', nodejs_version: 'v20.11.0' }, 1),
      t.series('tcpstate_snapshot_timestamp_seconds', {}, '1700000000+60' + n),
      s('tcpstate_snapshot_age_seconds', {}, 4),
      s('tcpstate_collection_interval_seconds', {}, 15),
    ] + [s('tcpstate_collector_success', { collector: c }, 1) for c in ['sockets', 'sysctl', 'snmp', 'netstat', 'sockstat']],
    alert_rule_test: [{ eval_time: '140m', alertname: a, exp_alerts: [] } for a in t.alertNames],
  },
]
