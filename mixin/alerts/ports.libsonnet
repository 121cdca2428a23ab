// Alerts on ephemeral ports running out, in the two ways connect() fails: toward one destination
// (ports connect() cannot reuse for that remote address and port; TIME_WAIT ports that
// tcp_tw_reuse lets it reuse are not counted) and host-wide when applications bind() before
// connect() (each such socket holds its port exclusively, across destinations). The exporter
// cannot tell a port bind() holds from one a lone connect() holds (sock_diag does not expose the
// bind bucket), so the host-wide branch can also fire on tens of thousands of connections to
// distinct destinations: then bind(0) fails while connect() still shares ports. Metrics:
// tcpstate_ephemeral_* in docs/metrics.md; the exclusive share is the recording rule
// instance_state:tcpstate_ephemeral_ports_held:ratio (mixin/rules).
local lib = import '../lib.libsonnet';
local alert = import 'alert.libsonnet';

{
  local c = $._config,
  local m(name, extra='') = lib.metric(c, name, extra),
  local p = c.ephemeralPorts,
  // rank follows the ranking, which changes under the alert: dropped so the alert keeps one identity.
  local destination = 'max without (rank) (%s)' % m('tcpstate_ephemeral_port_destination_usage_ratio'),

  tcpstatePortAlerts:: [
    alert.new(
      c,
      'TcpstateEphemeralPortPressure',
      p,
      '%s > %s' % [destination, lib.num(p.pressure)],
      'Connections to one destination hold most of the ephemeral ports connect() could use for it.',
      'Connections from {{ $labels.instance }} to {{ $labels.remote_address }} port {{ $labels.remote_port }} hold {{ $value | humanizePercentage }} of the usable ephemeral ports (those tcp_tw_reuse can reuse not counted).',
      { portLabel: 'remote_port' },
      forKey='pressureFor',
      severityKey='pressureSeverity',
    ),

    alert.new(
      c,
      'TcpstateEphemeralPortExhaustion',
      p,
      |||
        %(destination)s > %(ratio)s
        or
        %(exclusive)s > %(ratio)s
      ||| % { destination: destination, exclusive: m('instance_state:tcpstate_ephemeral_ports_held:ratio', 'state="exclusive"'), ratio: lib.num(p.exhaustion) },
      'Ephemeral ports are exhausted: outgoing connections fail with EADDRNOTAVAIL or EADDRINUSE.',
      '{{ if $labels.remote_port }}Connections from {{ $labels.instance }} to {{ $labels.remote_address }} port {{ $labels.remote_port }} hold {{ $value | humanizePercentage }} of the usable ephemeral ports: connect() to it finds no free port.{{ else }}Ports held by one socket each (what bind() before connect() leaves) are {{ $value | humanizePercentage }} of the usable ephemeral ports of {{ $labels.instance }}: bind() to port 0, and so every connect() made after a bind(), finds no free port.{{ end }}',
      { portLabel: 'remote_port', portOptional: true },
      forKey='exhaustionFor',
      severityKey='exhaustionSeverity',
    ),
  ],
}
