// Panels and links both dashboards use: the drill-down links, the TCP states in kernel order, and
// the keepalive panels that compare tcp_keepalive_time with NAT and load-balancer idle timeouts.
local g = import 'grafana.libsonnet';

{
  // TCP states as the exporter labels them, with the names ss and the kernel print.
  states:: [
    { label: 'established', name: 'ESTABLISHED' },
    { label: 'syn_sent', name: 'SYN_SENT' },
    { label: 'syn_recv', name: 'SYN_RECV' },
    { label: 'fin_wait1', name: 'FIN_WAIT1' },
    { label: 'fin_wait2', name: 'FIN_WAIT2' },
    { label: 'time_wait', name: 'TIME_WAIT' },
    { label: 'close', name: 'CLOSE' },
    { label: 'close_wait', name: 'CLOSE_WAIT' },
    { label: 'last_ack', name: 'LAST_ACK' },
    { label: 'listen', name: 'LISTEN' },
    { label: 'closing', name: 'CLOSING' },
  ],

  // The drill-down dashboard's URL for one instance and port; the arguments are Grafana
  // data-link expressions (e.g. '${__field.labels.port}'). Keeps the data source and time range.
  portURL(config, instance, port, role):: '/d/%s?var-instance=%s&var-port=%s&var-role=%s&${datasource:queryparam}&${__url_time_range}' % [config.dashboardUIDs.port, instance, port, role],

  // Data link from a series labelled instance, role and port (time series, bar gauges).
  seriesPortLink(config):: {
    title: 'Port ${__field.labels.port} (${__field.labels.role}) on ${__field.labels.instance}',
    url: $.portURL(config, '${__field.labels.instance}', '${__field.labels.port}', '${__field.labels.role}'),
  },

  // Data link from a table row with instance, role and port columns.
  rowPortLink(config, portColumn='port', role='${__data.fields.role}'):: {
    title: 'Port ${__data.fields.%s} on ${__data.fields.instance}' % portColumn,
    url: $.portURL(config, '${__data.fields.instance}', '${__data.fields.%s}' % portColumn, role),
  },

  // Colours for tcp_keepalive_time at or above each configured NAT/LB idle timeout.
  local colours = ['yellow', 'orange', 'red', 'dark-red'],
  natThresholds(config):: g.thresholds([
    { value: config.natIdleTimeouts[i].seconds, color: colours[std.min(i, std.length(colours) - 1)] }
    for i in std.range(0, std.length(config.natIdleTimeouts) - 1)
  ]),

  // tcp_keepalive_time per instance, coloured against the NAT/LB idle timeouts.
  keepaliveTimeStat(config, q, w=8, h=6)::
    g.stat(
      'tcp_keepalive_time against NAT and load-balancer idle timeouts',
      'net.ipv4.tcp_keepalive_time: how long a connection with keepalive on stays idle before the first probe. A NAT gateway or load balancer forgets an idle connection after its idle timeout (%s) and drops it without a RST, so the first probe must come before it: yellow and above mean that, through such a device, an idle connection relying on the sysctl is cut before its first probe. Sockets that set TCP_KEEPIDLE (most connection pools, Go, Java with extended options) ignore this sysctl; the keepalive coverage panels show whether connections have a keepalive timer at all.' % std.join(', ', ['%s %d s' % [t.name, t.seconds] for t in config.natIdleTimeouts]),
      's',
      [g.instant('max by (instance) (tcpstate_sysctl_keepalive_time_seconds%s)' % q.sel(), '{{instance}}')],
      w,
      h,
    ) + $.natThresholds(config) + { options+: { colorMode: 'value' } },

  // The idle timeouts as text, next to the stat.
  natTimeoutsText(config, w=8, h=6)::
    g.text(
      'Idle timeouts that cut idle connections',
      'The idle timeouts _config.natIdleTimeouts lists, and what to do when tcp_keepalive_time is above the one in the path.',
      std.join('\n', [
        '| device | idle timeout |',
        '| --- | --- |',
      ] + ['| %s | %d s |' % [t.name, t.seconds] for t in config.natIdleTimeouts] + [
        '',
        'A connection idle longer than the timeout of a NAT or load balancer on its path is forgotten by it; the next packet gets no answer or a RST, long after the fact. Keepalive helps only if the **first** probe comes earlier: `tcp_keepalive_time` (or `TCP_KEEPIDLE` on the socket) below the timeout. `tcp_keepalive_intvl` and `tcp_keepalive_probes` only decide how fast a dead peer is noticed afterwards.',
      ]),
      w,
      h,
    ),
}
