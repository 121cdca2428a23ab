// Alerts on connections failing or piling up, per port where the data names one: CLOSE_WAIT
// leaks, accept-queue and SYN-queue overflows, handshakes that never complete, retransmissions,
// connection pools without keepalive. Metrics: docs/metrics.md (sockets, snmp, netstat
// collectors).
local lib = import '../lib.libsonnet';
local alert = import 'alert.libsonnet';

{
  local c = $._config,
  local m(name, extra='') = lib.metric(c, name, extra),
  local on = lib.onInstance(c),

  tcpstateConnectionAlerts:: [
    // The current count (not a window minimum), so it fires `for` after the leak passes the
    // threshold, resolves as soon as the count falls below it, and $value is what is held now.
    // deriv() >= 0 keeps a backlog that is draining from firing.
    alert.new(
      c,
      'TcpstateCloseWaitLeak',
      c.closeWait,
      |||
        %(ports)s >= %(sockets)s
        and
        deriv(%(ports)s[%(window)s]) >= 0
      ||| % { ports: m('tcpstate_port_sockets', 'state="close_wait"'), sockets: lib.num(c.closeWait.sockets), window: c.closeWait.drainWindow },
      'Sockets pile up in CLOSE_WAIT: an application does not close connections its peers have closed.',
      '{{ $value | humanize }} sockets on {{ $labels.role }} port {{ $labels.port }} of {{ $labels.instance }} are in CLOSE_WAIT and the count has not fallen over the last %s: the process holding them does not call close().' % c.closeWait.drainWindow,
      { portLabel: 'port' },
    ),

    // A drop is counted in TcpExt ListenOverflows only while an accept queue is full, which the
    // per-port fill ratio (queue / (backlog + 1)) shows as 1 if a sample caught it. One alert per
    // such port; a host-level alert when the queue filled between samples.
    local overflowing = '(rate(%s[%s]) > %s)' % [m('tcpstate_tcpext_listen_overflows_total'), c.listenOverflow.window, lib.num(c.listenOverflow.perSecond)];
    alert.new(
      c,
      'TcpstateListenQueueOverflow',
      c.listenOverflow,
      |||
        (
          %(overflowing)s
          + %(on)s group_right ()
          (0 * (max_over_time(%(fill)s[%(window)s]) >= 1))
        )
        or %(on)s
        %(overflowing)s
      ||| % { overflowing: overflowing, on: on, fill: m('tcpstate_listen_queue_max_fill_ratio'), window: c.listenOverflow.window },
      'Listeners drop connection attempts: an accept queue is full because the application does not accept fast enough.',
      '{{ $labels.instance }} drops connection attempts at %s because an accept queue is full{{ if $labels.port }}; the listeners on port {{ $labels.port }} had theirs full (backlog + 1 queued) within the last %s{{ else }}; no sample caught which queue (it filled between samples){{ end }}.' % [lib.perSecondTemplate, c.listenOverflow.window],
      { portLabel: 'port', portOptional: true },
    ),

    // SyncookiesSent counts SYNs answered with a cookie because a listener's SYN queue was full.
    // The server port(s) holding many SYN_RECV sockets in the window are named.
    local cookies = '(rate(%s[%s]) > %s)' % [m('tcpstate_tcpext_syncookies_sent_total'), c.synFlood.window, lib.num(c.synFlood.cookiesPerSecond)];
    alert.new(
      c,
      'TcpstateSynFlood',
      c.synFlood,
      |||
        (
          %(cookies)s
          + %(on)s group_right ()
          (0 * (max_over_time(%(synRecv)s[%(window)s]) >= %(synRecvSockets)s))
        )
        or %(on)s
        %(cookies)s
      ||| % { cookies: cookies, on: on, synRecv: m('tcpstate_port_sockets', 'role="server",state="syn_recv"'), window: c.synFlood.window, synRecvSockets: lib.num(c.synFlood.synRecvSockets) },
      'A SYN queue overflows: the host answers handshakes with SYN cookies (a SYN flood or a connection burst).',
      '{{ $labels.instance }} answers SYNs with cookies at %s{{ if $labels.port }}; port {{ $labels.port }} held at least %s half-open (SYN_RECV) connections within the last %s{{ end }}. Connections made with a cookie get a rounded-down MSS and lose window scaling and SACK unless the client sent timestamps; a listener with a backlog below the SYN_RECV threshold cannot be named by port.' % [lib.perSecondTemplate, lib.num(c.synFlood.synRecvSockets), c.synFlood.window],
      { portLabel: 'port', portOptional: true },
    ),

    alert.new(
      c,
      'TcpstateConnectStalled',
      c.connectStalled,
      '%s >= %s' % [m('tcpstate_port_sockets', 'role="client",state="syn_sent"'), lib.num(c.connectStalled.synSentSockets)],
      'Outgoing connections hang in SYN_SENT: a downstream does not answer the handshake (black-holed or filtered).',
      '{{ $value | humanize }} connections from {{ $labels.instance }} to remote port {{ $labels.port }} are waiting for the peer to answer their SYN.',
      { portLabel: 'port' },
    ),

    // OutSegs excludes retransmissions; the traffic guard keeps a host sending a handful of
    // segments (where one retransmission is a large share) quiet.
    local out = 'rate(%s[%s])' % [m('tcpstate_tcp_out_segments_total'), c.retransmits.window];
    alert.new(
      c,
      'TcpstateRetransmitRatioHigh',
      c.retransmits,
      |||
        rate(%(retrans)s[%(window)s]) / %(out)s > %(ratio)s
        and
        %(out)s > %(min)s
      ||| % { retrans: m('tcpstate_tcp_retransmitted_segments_total'), out: out, window: c.retransmits.window, ratio: lib.num(c.retransmits.ratio), min: lib.num(c.retransmits.minSegmentsPerSecond) },
      'Many TCP segments are retransmitted: packets are lost or delayed on a path this host sends over.',
      '{{ $labels.instance }} retransmitted {{ $value | humanizePercentage }} as many segments as it sent new ones over the last %s (RetransSegs per OutSegs; OutSegs excludes retransmissions).' % c.retransmits.window,
    ),

    // Client role only: a server cannot choose its clients' keepalive, a connection pool can.
    alert.new(
      c,
      'TcpstateKeepaliveOff',
      c.keepaliveOff,
      |||
        %(ratio)s > %(threshold)s
        and ignoring (keepalive)
        sum without (keepalive) (%(sockets)s) >= %(min)s
      ||| % {
        ratio: m('instance_role_port_keepalive:tcpstate_port_established_keepalive_sockets:ratio', 'role="client",keepalive="not_armed"'),
        sockets: m('tcpstate_port_established_keepalive_sockets', 'role="client"'),
        threshold: lib.num(c.keepaliveOff.ratio),
        min: lib.num(c.keepaliveOff.minSockets),
      },
      'A connection pool keeps established connections without keepalive: peers or middleboxes that dropped them go unnoticed until used.',
      '{{ $value | humanizePercentage }} of the established connections from {{ $labels.instance }} to remote port {{ $labels.port }} have no keepalive timer.',
      { portLabel: 'port' },
    ),
  ],
}
