// Cases of the ephemeral-port alerts (mixin/alerts/ports.libsonnet) with the default _config:
// pressure > 80 % for 15m, exhaustion > 95 % for 2m.
local t = import '../lib.libsonnet';

local destination = { family: 'ipv4', remote_address: '10.1.2.3', remote_port: '443' };
local usage(values, rank='1') = t.series('tcpstate_ephemeral_port_destination_usage_ratio', destination { rank: rank }, values);
// A host whose ports are held as given (exclusive, shared, time_wait) out of 28232 usable.
local held(exclusive, shared, timeWait) = [
  t.series('tcpstate_ephemeral_ports_held', { state: 'exclusive' }, '%dx20' % exclusive),
  t.series('tcpstate_ephemeral_ports_held', { state: 'shared' }, '%dx20' % shared),
  t.series('tcpstate_ephemeral_ports_held', { state: 'time_wait' }, '%dx20' % timeWait),
  t.series('tcpstate_ephemeral_ports_usable', {}, '28232x20'),
];

local pressureText(value) = 'Connections from 10.0.0.7:9816 to 10.1.2.3 port 443 hold %s of the usable ephemeral ports (those tcp_tw_reuse can reuse not counted).' % value;

[
  t.case('TcpstateEphemeralPortPressure', '85 % toward one destination fires naming it', [usage('0.85x30')], [
    t.at('20m', [t.fires(destination, pressureText('85%'), t.portDashboard('443'))]),
  ]),
  // The rank label follows the ranking: a destination changing rank keeps one alert.
  t.case('TcpstateEphemeralPortPressure', 'a destination that changes rank keeps firing', [usage('0.85x10', '1'), usage('_x10 0.85x20', '2')], [
    t.at('20m', [t.fires(destination, pressureText('85%'), t.portDashboard('443'))]),
  ]),
  t.case('TcpstateEphemeralPortPressure', '50 % does not fire', [usage('0.5x30')], [t.at('20m')]),

  t.case('TcpstateEphemeralPortExhaustion', '98 % toward one destination fires naming it', [usage('0.98x20')], [
    t.at('10m', [t.fires(
      destination,
      'Connections from 10.0.0.7:9816 to 10.1.2.3 port 443 hold 98% of the usable ephemeral ports: connect() to it finds no free port.',
      t.portDashboard('443'),
    )]),
  ]),
  // Issue 12 item 4: bind() before connect() holds each port for every destination; the
  // busiest destination's share stays low while every connect fails.
  t.case('TcpstateEphemeralPortExhaustion', 'ports held exclusively by bind() before connect() fire for the host', held(27500, 100, 0) + [usage('0.61x20')], [
    t.at('10m', [t.fires(
      { state: 'exclusive' },
      'Ports held by one socket each (what bind() before connect() leaves) are 97.41% of the usable ephemeral ports of 10.0.0.7:9816: bind() to port 0, and so every connect() made after a bind(), finds no free port.',
      t.overviewDashboard(),
    )]),
  ]),
  // Issue 12 item 3: TIME_WAIT ports tcp_tw_reuse lets connect() reuse are not exhaustion.
  t.case('TcpstateEphemeralPortExhaustion', 'churn under tcp_tw_reuse (ports held by TIME_WAIT, reusable) does not fire', held(100, 200, 27900) + [usage('0.01x20')], [t.at('10m')]),
  t.case('TcpstateEphemeralPortExhaustion', '85 % toward one destination does not fire', [usage('0.85x20')], [t.at('10m')]),
]
