// Alerts on the health of the paths behind one port, from the opt-in collectors of issue 16:
// retransmissions of the connections a server port closed (--collector.connections, the kernel's
// socket destroy events) and ESTABLISHED sockets stuck in retransmission backoff
// (--collector.tcpinfo). Without those collectors the series are absent and nothing fires.
// Metrics: docs/metrics.md, "Closed connections" and "tcp_info".
local lib = import '../lib.libsonnet';
local alert = import 'alert.libsonnet';

{
  local c = $._config,
  local m(name, extra='') = lib.metric(c, name, extra),

  tcpstatePortHealthAlerts:: [
    // tcpi_segs_out counts retransmissions too, so the ratio is at most 1. Only connections that
    // closed in the window count: a long-lived connection adds its segments when it closes.
    local r = c.portRetransmits;
    local sent = 'sum without (direction) (rate(%s[%s]))' % [m('tcpstate_port_closed_connection_segments_total', 'role="server",direction="sent"'), r.window];
    alert.new(
      c,
      'TcpstatePortRetransmitRatioHigh',
      r,
      |||
        rate(%(retrans)s[%(window)s]) / %(sent)s > %(ratio)s
        and
        %(sent)s > %(min)s
      ||| % { retrans: m('tcpstate_port_closed_connection_retransmitted_segments_total', 'role="server"'), sent: sent, window: r.window, ratio: lib.num(r.ratio), min: lib.num(r.minSegmentsPerSecond) },
      'Connections to one server port retransmit many of their segments: packets to or from its clients are lost.',
      'Connections to port {{ $labels.port }} of {{ $labels.instance }} that closed over the last %s retransmitted {{ $value | humanizePercentage }} of the segments they sent.' % r.window,
      { portLabel: 'port' },
    ),

    alert.new(
      c,
      'TcpstatePeerBlackholed',
      c.peerBlackholed,
      '%s >= %s' % [m('tcpstate_port_retransmitting_sockets'), lib.num(c.peerBlackholed.sockets)],
      'Connections on one port retransmit and get no acknowledgement at all: a peer or the path to it drops what this host sends.',
      '{{ $value }} ESTABLISHED {{ $labels.role }} connections of {{ $labels.instance }} on port {{ $labels.port }} are in retransmission backoff with nothing acknowledged since their timer fired.',
      { portLabel: 'port' },
    ),
  ],
}
