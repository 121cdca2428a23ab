// Recording rules, named level:metric:operations after the metric they come from (its `_total`
// dropped for rates). Something uses each: an alert (mixin/alerts) or a dashboard
// (mixin/dashboards); mixin/README.md lists which. Ratios never return NaN on an idle host: a zero
// denominator leaves the series out, or gives 0 where 0 is the truth (nothing sent, nothing
// retransmitted). Series of one target share every target label (job, instance, and what
// relabelling adds: namespace, pod, node), so the ratios match on all labels and keep them.
local lib = import '../lib.libsonnet';

{
  prometheusRules+:: {
    local c = $._config,
    local m(name, extra='') = lib.metric(c, name, extra),

    groups+: [
      {
        name: 'tcpstate.rules',
        rules: [
          {
            // Sockets per state and host, both address families.
            record: 'instance_state:tcpstate_sockets:sum',
            expr: 'sum without (family) (%s)' % m('tcpstate_sockets'),
          },
          {
            // Retransmitted over sent segments (OutSegs excludes retransmissions), 5m rates.
            record: 'instance:tcpstate_tcp_retransmitted_segments:ratio_rate5m',
            expr: |||
              rate(%(retrans)s[5m]) / (rate(%(out)s[5m]) > 0)
              or
              0 * rate(%(out)s[5m])
            ||| % { retrans: m('tcpstate_tcp_retransmitted_segments_total'), out: m('tcpstate_tcp_out_segments_total') },
          },
          {
            // TIME_WAIT sockets against net.ipv4.tcp_max_tw_buckets: a level for dashboards
            // (at the limit the kernel only skips TIME_WAIT; TcpstateTimeWaitOverflow says when).
            record: 'instance:tcpstate_sockstat_time_wait_sockets:ratio',
            expr: '%s / (%s > 0)' % [m('tcpstate_sockstat_time_wait_sockets'), m('tcpstate_sysctl_max_tw_buckets')],
          },
          {
            // Ephemeral ports held, per state (exclusive, shared, time_wait), over the usable range.
            record: 'instance_state:tcpstate_ephemeral_ports_held:ratio',
            expr: '%s / ignoring (state) group_left () (%s > 0)' % [m('tcpstate_ephemeral_ports_held'), m('tcpstate_ephemeral_ports_usable')],
          },
          {
            // TCP socket buffer memory over the tcp_mem pressure value (1: the kernel is in pressure).
            record: 'instance:tcpstate_sockstat_memory_bytes:ratio',
            expr: '%s / (%s > 0)' % [m('tcpstate_sockstat_memory_bytes'), m('tcpstate_sysctl_mem_pressure_bytes')],
          },
          {
            // Orphaned sockets over net.ipv4.tcp_max_orphans.
            record: 'instance:tcpstate_sockstat_orphan_sockets:ratio',
            expr: '%s / (%s > 0)' % [m('tcpstate_sockstat_orphan_sockets'), m('tcpstate_sysctl_max_orphans')],
          },
          {
            // Per role and port, each keepalive value's share of the established connections.
            record: 'instance_role_port_keepalive:tcpstate_port_established_keepalive_sockets:ratio',
            expr: |||
              %(ka)s
              / ignoring (keepalive) group_left ()
              (sum without (keepalive) (%(ka)s) > 0)
            ||| % { ka: m('tcpstate_port_established_keepalive_sockets') },
          },
        ],
      },
    ],
  },
}
