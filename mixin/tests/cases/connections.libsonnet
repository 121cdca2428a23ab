// Cases of the connection alerts (mixin/alerts/connections.libsonnet) with the default _config:
// CLOSE_WAIT >= 100 not falling over 10m for 15m; ListenOverflows > 0.5/s over 5m for 5m;
// SyncookiesSent > 1/s over 5m for 5m (ports with >= 10 SYN_RECV named); SYN_SENT >= 20 for 5m;
// retransmits > 2 % with > 100 segments/s for 15m; keepalive off on > 50 % of >= 20 client
// connections for 1h.
local t = import '../lib.libsonnet';

local closeWait(values, role='server', port='8080') = t.series('tcpstate_port_sockets', { role: role, port: port, state: 'close_wait' }, values);
local closeWaitFires(value, role='server', port='8080') = t.fires(
  { role: role, port: port, state: 'close_wait' },
  '%s sockets on %s port %s of 10.0.0.7:9816 are in CLOSE_WAIT and the count has not fallen over the last 10m: the process holding them does not call close().' % [value, role, port],
  t.portDashboard(port),
);

local overflowText(rate, port) =
  '10.0.0.7:9816 drops connection attempts at %s per second because an accept queue is full%s.' % [
    rate,
    if port == null then '; no sample caught which queue (it filled between samples)' else '; the listeners on port %s had theirs full (backlog + 1 queued) within the last 5m' % port,
  ];

local synFloodText(rate, port) =
  '10.0.0.7:9816 answers SYNs with cookies at %s per second%s. Connections made with a cookie get a rounded-down MSS and lose window scaling and SACK unless the client sent timestamps; a listener with a backlog below the SYN_RECV threshold cannot be named by port.' % [
    rate,
    if port == null then '' else '; port %s held at least 10 half-open (SYN_RECV) connections within the last 5m' % port,
  ];

local keepalive(role, port, notArmed, armed) = [
  t.series('tcpstate_port_established_keepalive_sockets', { role: role, port: port, keepalive: 'not_armed' }, '%dx90' % notArmed),
  t.series('tcpstate_port_established_keepalive_sockets', { role: role, port: port, keepalive: 'armed' }, '%dx90' % armed),
  t.series('tcpstate_port_established_keepalive_sockets', { role: role, port: port, keepalive: 'unknown' }, '0x90'),
];

[
  // Issue 12 item 5: reported at 0 before the leak, it fires `for` after the count passes the
  // threshold (not ~30 minutes), $value is the current count, and it resolves the minute the
  // leaking process exits.
  t.case('TcpstateCloseWaitLeak', 'a leak on a port reported at 0 fires 15m after passing the threshold with the current count, and resolves when the count drops', [closeWait('0x10 150+10x29 0x20')], [
    t.at('24m'),
    t.at('26m', [closeWaitFires('300')]),
    t.at('40m', [closeWaitFires('440')]),
    t.at('41m'),
  ]),
  t.case('TcpstateCloseWaitLeak', 'a flat leak on a client port fires', [closeWait('0x5 300x40', 'client', '5432')], [
    t.at('25m', [closeWaitFires('300', 'client', '5432')]),
  ]),
  t.case('TcpstateCloseWaitLeak', 'a backlog that drains does not fire', [closeWait('900-5x60')], [t.at('45m')]),
  t.case('TcpstateCloseWaitLeak', 'a count below the threshold does not fire', [closeWait('99x60')], [t.at('45m')]),

  // Issue 12 item 6: the port whose queue was seen full is named; the rate reads "N per second".
  t.case('TcpstateListenQueueOverflow', 'a listener that never accepts fires naming its port', [
    t.series('tcpstate_tcpext_listen_overflows_total', {}, '0+60x30'),
    t.series('tcpstate_listen_queue_max_fill_ratio', { port: '8080' }, '1x30'),
    t.series('tcpstate_listen_queue_max_fill_ratio', { port: '9090' }, '0.1x30'),
  ], [
    t.at('15m', [t.fires({ port: '8080' }, overflowText('1', '8080'), t.portDashboard('8080'))]),
  ]),
  t.case('TcpstateListenQueueOverflow', 'a queue that filled between samples fires for the host, a rate below 1 printed plainly', [
    t.series('tcpstate_tcpext_listen_overflows_total', {}, '0+40x30'),
    t.series('tcpstate_listen_queue_max_fill_ratio', { port: '8080' }, '0.2x30'),
  ], [
    t.at('15m', [t.fires({}, overflowText('0.67', null), t.overviewDashboard())]),
  ]),
  t.case('TcpstateListenQueueOverflow', '2 stray drops do not fire, even with a queue seen full', [
    t.series('tcpstate_tcpext_listen_overflows_total', {}, '0x10 1x3 2x16'),
    t.series('tcpstate_listen_queue_max_fill_ratio', { port: '8080' }, '1x30'),
  ], [t.at('17m'), t.at('18m')]),

  t.case('TcpstateSynFlood', 'cookies sent while a port holds a full SYN queue fire naming the port', [
    t.series('tcpstate_tcpext_syncookies_sent_total', {}, '0+600x30'),
    t.series('tcpstate_port_sockets', { role: 'server', port: '443', state: 'syn_recv' }, '128x30'),
    t.series('tcpstate_port_sockets', { role: 'server', port: '22', state: 'syn_recv' }, '1x30'),
  ], [
    t.at('15m', [t.fires({ role: 'server', port: '443', state: 'syn_recv' }, synFloodText('10', '443'), t.portDashboard('443'))]),
  ]),
  t.case('TcpstateSynFlood', 'cookies with no port caught holding SYN_RECV fire for the host', [
    t.series('tcpstate_tcpext_syncookies_sent_total', {}, '0+120x30'),
    t.series('tcpstate_port_sockets', { role: 'server', port: '443', state: 'syn_recv' }, '0x30'),
  ], [
    t.at('15m', [t.fires({}, synFloodText('2', null), t.overviewDashboard())]),
  ]),
  t.case('TcpstateSynFlood', 'a few cookies do not fire', [
    t.series('tcpstate_tcpext_syncookies_sent_total', {}, '0+30x30'),
    t.series('tcpstate_port_sockets', { role: 'server', port: '443', state: 'syn_recv' }, '128x30'),
  ], [t.at('15m')]),

  t.case('TcpstateConnectStalled', 'connections to a black-holed remote port fire naming it', [
    t.series('tcpstate_port_sockets', { role: 'client', port: '5432', state: 'syn_sent' }, '25x20'),
  ], [
    t.at('10m', [t.fires(
      { role: 'client', port: '5432', state: 'syn_sent' },
      '25 connections from 10.0.0.7:9816 to remote port 5432 are waiting for the peer to answer their SYN.',
      t.portDashboard('5432'),
    )]),
  ]),
  t.case('TcpstateConnectStalled', 'a short burst of handshakes does not fire', [
    t.series('tcpstate_port_sockets', { role: 'client', port: '5432', state: 'syn_sent' }, '0x5 50x3 0x10'),
  ], [t.at('8m'), t.at('15m')]),

  t.case('TcpstateRetransmitRatioHigh', '5 % retransmissions fire', [
    t.series('tcpstate_tcp_retransmitted_segments_total', {}, '0+3000x40'),
    t.series('tcpstate_tcp_out_segments_total', {}, '0+60000x40'),
  ], [
    t.at('30m', [t.fires({}, '10.0.0.7:9816 retransmitted 5% as many segments as it sent new ones over the last 5m (RetransSegs per OutSegs; OutSegs excludes retransmissions).', t.overviewDashboard())]),
  ]),
  t.case('TcpstateRetransmitRatioHigh', '0.1 % does not fire', [
    t.series('tcpstate_tcp_retransmitted_segments_total', {}, '0+60x40'),
    t.series('tcpstate_tcp_out_segments_total', {}, '0+60000x40'),
  ], [t.at('30m')]),
  t.case('TcpstateRetransmitRatioHigh', 'an idle host with a high ratio of few segments does not fire', [
    t.series('tcpstate_tcp_retransmitted_segments_total', {}, '0+30x40'),
    t.series('tcpstate_tcp_out_segments_total', {}, '0+600x40'),
  ], [t.at('30m')]),

  t.case('TcpstateKeepaliveOff', 'a connection pool with 80 of 100 connections lacking keepalive fires naming the remote port', keepalive('client', '5432', 80, 20), [
    t.at('75m', [t.fires(
      { role: 'client', port: '5432', keepalive: 'not_armed' },
      '80% of the established connections from 10.0.0.7:9816 to remote port 5432 have no keepalive timer.',
      t.portDashboard('5432'),
    )]),
  ]),
  // Issue 12 item 7: an ordinary HTTP server's clients do not arm keepalive; not this host's choice.
  t.case('TcpstateKeepaliveOff', 'a server port without keepalive does not fire', keepalive('server', '8080', 100, 0), [t.at('75m')]),
  t.case('TcpstateKeepaliveOff', 'a pool of few connections does not fire', keepalive('client', '5432', 5, 0), [t.at('75m')]),
]
