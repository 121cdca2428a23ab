// The recording rules (mixin/rules/rules.libsonnet): values, and no NaN on an idle host (a zero
// denominator gives 0 where 0 is the truth, else no sample).
local t = import '../lib.libsonnet';

local sample(record, labels, value) = { labels: t.selector(record, labels), value: value };

[
  t.expr('recording rules on a busy host', [
    t.series('tcpstate_sockets', { family: 'ipv4', state: 'close_wait' }, '3x20'),
    t.series('tcpstate_sockets', { family: 'ipv6', state: 'close_wait' }, '4x20'),
    t.series('tcpstate_tcp_retransmitted_segments_total', {}, '0+15000x20'),
    t.series('tcpstate_tcp_out_segments_total', {}, '0+60000x20'),
    t.series('tcpstate_sockstat_time_wait_sockets', {}, '131072x20'),
    t.series('tcpstate_sysctl_max_tw_buckets', {}, '262144x20'),
    t.series('tcpstate_ephemeral_ports_held', { state: 'exclusive' }, '7058x20'),
    t.series('tcpstate_ephemeral_ports_usable', {}, '28232x20'),
    t.series('tcpstate_sockstat_memory_bytes', {}, '190000000x20'),
    t.series('tcpstate_sysctl_mem_pressure_bytes', {}, '380000000x20'),
    t.series('tcpstate_sockstat_orphan_sockets', {}, '16384x20'),
    t.series('tcpstate_sysctl_max_orphans', {}, '65536x20'),
    t.series('tcpstate_port_established_keepalive_sockets', { role: 'client', port: '5432', keepalive: 'not_armed' }, '30x20'),
    t.series('tcpstate_port_established_keepalive_sockets', { role: 'client', port: '5432', keepalive: 'armed' }, '10x20'),
  ], '10m', [
    { expr: 'instance_state:tcpstate_sockets:sum', samples: [sample('instance_state:tcpstate_sockets:sum', { state: 'close_wait' }, 7)] },
    { expr: 'instance:tcpstate_tcp_retransmitted_segments:ratio_rate5m', samples: [sample('instance:tcpstate_tcp_retransmitted_segments:ratio_rate5m', {}, 0.25)] },
    { expr: 'instance:tcpstate_sockstat_time_wait_sockets:ratio', samples: [sample('instance:tcpstate_sockstat_time_wait_sockets:ratio', {}, 0.5)] },
    { expr: 'instance_state:tcpstate_ephemeral_ports_held:ratio', samples: [sample('instance_state:tcpstate_ephemeral_ports_held:ratio', { state: 'exclusive' }, 0.25)] },
    { expr: 'instance:tcpstate_sockstat_memory_bytes:ratio', samples: [sample('instance:tcpstate_sockstat_memory_bytes:ratio', {}, 0.5)] },
    { expr: 'instance:tcpstate_sockstat_orphan_sockets:ratio', samples: [sample('instance:tcpstate_sockstat_orphan_sockets:ratio', {}, 0.25)] },
    {
      expr: 'instance_role_port_keepalive:tcpstate_port_established_keepalive_sockets:ratio',
      samples: [
        sample('instance_role_port_keepalive:tcpstate_port_established_keepalive_sockets:ratio', { role: 'client', port: '5432', keepalive: 'armed' }, 0.25),
        sample('instance_role_port_keepalive:tcpstate_port_established_keepalive_sockets:ratio', { role: 'client', port: '5432', keepalive: 'not_armed' }, 0.75),
      ],
    },
  ]),
  // Issue 12 item 8: ratios returned NaN on idle hosts.
  t.expr('recording rules on an idle host give 0 or nothing, never NaN', [
    t.series('tcpstate_tcp_retransmitted_segments_total', {}, '0x20'),
    t.series('tcpstate_tcp_out_segments_total', {}, '0x20'),
    t.series('tcpstate_port_established_keepalive_sockets', { role: 'client', port: '5432', keepalive: 'not_armed' }, '0x20'),
    t.series('tcpstate_port_established_keepalive_sockets', { role: 'client', port: '5432', keepalive: 'armed' }, '0x20'),
    t.series('tcpstate_ephemeral_ports_held', { state: 'exclusive' }, '0x20'),
    t.series('tcpstate_ephemeral_ports_usable', {}, '0x20'),
    t.series('tcpstate_sockstat_orphan_sockets', {}, '0x20'),
    t.series('tcpstate_sysctl_max_orphans', {}, '0x20'),
  ], '10m', [
    { expr: 'instance:tcpstate_tcp_retransmitted_segments:ratio_rate5m', samples: [sample('instance:tcpstate_tcp_retransmitted_segments:ratio_rate5m', {}, 0)] },
    { expr: 'instance_role_port_keepalive:tcpstate_port_established_keepalive_sockets:ratio', samples: [] },
    { expr: 'instance_state:tcpstate_ephemeral_ports_held:ratio', samples: [] },
    { expr: 'instance:tcpstate_sockstat_orphan_sockets:ratio', samples: [] },
  ]),
]
