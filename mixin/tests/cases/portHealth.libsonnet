// Cases of the per-port path health alerts (mixin/alerts/portHealth.libsonnet) with the default
// _config: retransmitted over sent segments of closing server connections > 5 % over 10m while they
// send more than 10 segments per second, for 15m; 3 or more retransmitting sockets for 5m.
local t = import '../lib.libsonnet';

local server = { role: 'server', port: '443' };
// Closed connections of server port 443 sending `sent` segments a minute, `retrans` of them again.
local closing(sent, retrans) = [
  t.series('tcpstate_port_closed_connection_segments_total', server { direction: 'sent' }, '0+%dx40' % sent),
  t.series('tcpstate_port_closed_connection_segments_total', server { direction: 'received' }, '0+%dx40' % sent),
  t.series('tcpstate_port_closed_connection_retransmitted_segments_total', server, '0+%dx40' % retrans),
];
local retransmitting(values, role='client', port='5432') = t.series('tcpstate_port_retransmitting_sockets', { role: role, port: port }, values);

[
  t.case('TcpstatePortRetransmitRatioHigh', '10 % of 20 segments per second retransmitted fires naming the port', closing(1200, 120), [
    t.at('10m'),
    t.at('30m', [t.fires(server, 'Connections to port 443 of 10.0.0.7:9816 that closed over the last 10m retransmitted 10% of the segments they sent.', t.portDashboard('443'))]),
  ]),
  t.case('TcpstatePortRetransmitRatioHigh', '1 % retransmitted does not fire', closing(1200, 12), [t.at('30m')]),
  // The minimum-traffic guard: a quiet port whose few connections lost a segment is no signal.
  t.case('TcpstatePortRetransmitRatioHigh', '20 % of 5 segments per second does not fire', closing(300, 60), [t.at('30m')]),

  t.case('TcpstatePeerBlackholed', '5 client connections to one port retransmitting fires naming role and port', [retransmitting('5x20')], [
    t.at('3m'),
    t.at('10m', [t.fires({ role: 'client', port: '5432' }, '5 ESTABLISHED client connections of 10.0.0.7:9816 on port 5432 are in retransmission backoff with nothing acknowledged since their timer fired.', t.portDashboard('5432'))]),
  ]),
  t.case('TcpstatePeerBlackholed', '2 retransmitting connections do not fire', [retransmitting('2x20')], [t.at('10m')]),
  // A retransmission the peer acknowledges ends the backoff: sockets that recover within minutes do not fire.
  t.case('TcpstatePeerBlackholed', 'retransmitting for 3 minutes, then acknowledged, does not fire', [retransmitting('5x3 0x17')], [t.at('5m'), t.at('10m')]),
]
