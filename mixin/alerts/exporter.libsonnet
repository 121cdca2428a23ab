// Alerts on the exporter itself: without it every other Tcpstate alert is blind. `up` is the one
// series where a job is meant: _config.upSelectors, or any job whose target served
// tcpstate_build_info within _config.exporterMemory (so a stock kubernetes-service-endpoints job is
// caught once it scraped the exporter). Metrics: exporter self-metrics in docs/metrics.md.
local lib = import '../lib.libsonnet';
local alert = import 'alert.libsonnet';

{
  local c = $._config,
  local m(name, extra='') = lib.metric(c, name, extra),
  local on = lib.onInstance(c),
  local buildInfo = m('tcpstate_build_info'),

  tcpstateExporterAlerts:: [
    alert.new(
      c,
      'TcpstateExporterDown',
      c.exporterDown,
      |||
        (
          %(up)s
          or
          (%(anyUp)s and %(on)s present_over_time(%(buildInfo)s[%(memory)s]))
        ) == 0
      ||| % { up: lib.up(c), anyUp: m('up'), on: on, buildInfo: buildInfo, memory: c.exporterMemory },
      'Prometheus cannot scrape a tcpstate-exporter target: the TCP alerts of its host are blind.',
      'The scrape of {{ $labels.instance }} (job {{ $labels.job }}) fails: Prometheus gets no TCP data from that host.',
    ),

    // Up, but the first collection never finished (a read hanging at start): only build_info is
    // served, so TcpstateCollectorFailing and TcpstateSnapshotStale have nothing to fire on.
    alert.new(
      c,
      'TcpstateExporterNoSnapshot',
      c.exporterNoSnapshot,
      '%s unless %s %s' % [buildInfo, on, m('tcpstate_snapshot_timestamp_seconds')],
      'A tcpstate-exporter is up but serves no snapshot: its first collection never finished.',
      '{{ $labels.instance }} (job {{ $labels.job }}, version {{ $labels.version }}) serves tcpstate_build_info but no tcpstate_snapshot_timestamp_seconds: every TCP alert of its host is blind.',
    ),

    // Nothing is scraped at all: no target of the up selectors is up, and none serves build_info
    // under another job.
    alert.new(
      c,
      'TcpstateExporterAbsent',
      c.exporterAbsent,
      'absent(%s or %s)' % [std.join(' or ', ['%s == 1' % s for s in lib.upSelectors(c)]), buildInfo],
      'No tcpstate-exporter target is up: every Tcpstate alert is blind.',
      'Prometheus has no successfully scraped target matching %s, and no target serves tcpstate_build_info.' % std.join(' or ', lib.upSelectors(c)),
      { hasInstance: false },
    ),

    alert.new(
      c,
      'TcpstateCollectorFailing',
      c.collectorFailing,
      '%s == 0' % m('tcpstate_collector_success'),
      'An exporter collector keeps failing: its metrics are missing.',
      'The {{ $labels.collector }} collector of {{ $labels.instance }} fails every cycle; its metrics are absent and the exporter log says why.',
    ),

    alert.new(
      c,
      'TcpstateSnapshotStale',
      c.snapshotStale,
      '%s > %s * %s' % [m('tcpstate_snapshot_age_seconds'), lib.num(c.snapshotStale.intervals), m('tcpstate_collection_interval_seconds')],
      'The exporter serves an old snapshot: collection is stuck or much slower than its interval.',
      'The snapshot {{ $labels.instance }} serves is {{ $value | humanizeDuration }} old, more than %s collection intervals.' % lib.num(c.snapshotStale.intervals),
    ),
  ],
}
