// Cases of the exporter alerts (mixin/alerts/exporter.libsonnet) with the default _config:
// down 10m, no snapshot 10m, absent 15m, collector failing 10m, snapshot stale 5m.
local t = import '../lib.libsonnet';

local buildInfo(values, labels={}) = t.series('tcpstate_build_info', { version: '0.1.0', nodejs_version: 'v20.11.0' } + labels, values);
local downText(job, instance) = 'The scrape of %s (job %s) fails: Prometheus gets no TCP data from that host.' % [instance, job];

[
  // Issue 12 item 1: the stock job name is no upSelector; it is caught by having served build_info.
  t.case('TcpstateExporterDown', 'a target of the kubernetes-service-endpoints job that served build_info fires', [
    t.series('up', {}, '1x30 0x30'),
    buildInfo('1x30 _x30'),
  ], [
    t.at('38m'),
    t.at('45m', [t.fires({}, downText('kubernetes-service-endpoints', '10.0.0.7:9816'), t.overviewDashboard())]),
  ]),
  t.case('TcpstateExporterDown', 'a target of a configured job that never answered fires', [
    t.series('up', { job: 'tcpstate-exporter', instance: 'node-2:9816' }, '0x30'),
  ], [
    t.at('20m', [t.fires({ job: 'tcpstate-exporter', instance: 'node-2:9816' }, downText('tcpstate-exporter', 'node-2:9816'), t.overviewDashboard('node-2%3A9816'))]),
  ]),
  t.case('TcpstateExporterDown', 'another exporter down does not fire, nor a short blip', [
    t.series('up', { job: 'node', instance: '10.0.0.7:9100' }, '0x30'),
    t.series('up', {}, '1x20 0x5 1x5'),
    buildInfo('1x20 _x5 1x5'),
  ], [t.at('25m'), t.at('30m')]),

  // Issue 12 item 4: up, serving only build_info (the first collection hangs).
  t.case('TcpstateExporterNoSnapshot', 'an exporter up without a snapshot fires', [
    t.series('up', {}, '1x30'),
    buildInfo('1x30'),
  ], [
    t.at('20m', [t.fires(
      { version: '0.1.0', nodejs_version: 'v20.11.0' },
      '10.0.0.7:9816 (job kubernetes-service-endpoints, version 0.1.0) serves tcpstate_build_info but no tcpstate_snapshot_timestamp_seconds: every TCP alert of its host is blind.',
      t.overviewDashboard(),
    )]),
  ]),
  t.case('TcpstateExporterNoSnapshot', 'an exporter serving snapshots does not fire', [
    t.series('up', {}, '1x30'),
    buildInfo('1x30'),
    t.series('tcpstate_snapshot_timestamp_seconds', {}, '1700000000+60x30'),
  ], [t.at('20m')]),

  t.case('TcpstateExporterAbsent', 'no exporter target at all fires', [
    t.series('up', { job: 'node', instance: '10.0.0.7:9100' }, '1x30'),
  ], [
    t.at('20m', [t.fires(
      {},
      'Prometheus has no successfully scraped target matching up{job=~".*tcpstate.*"} or up{app_kubernetes_io_name="tcpstate-exporter"}, and no target serves tcpstate_build_info.',
      t.overviewDashboard(''),
      withTarget=false,
    )]),
  ]),
  t.case('TcpstateExporterAbsent', 'an exporter scraped by the kubernetes-service-endpoints job does not fire', [
    t.series('up', {}, '1x30'),
    buildInfo('1x30'),
  ], [t.at('20m')]),
  t.case('TcpstateExporterAbsent', 'an exporter scraped by a job named after it does not fire', [
    t.series('up', { job: 'tcpstate-exporter' }, '1x30'),
  ], [t.at('20m')]),

  t.case('TcpstateCollectorFailing', 'a collector failing every cycle fires', [t.series('tcpstate_collector_success', { collector: 'netstat' }, '0x20')], [
    t.at('15m', [t.fires({ collector: 'netstat' }, 'The netstat collector of 10.0.0.7:9816 fails every cycle; its metrics are absent and the exporter log says why.', t.overviewDashboard())]),
  ]),
  t.case('TcpstateCollectorFailing', 'a collector that recovers does not fire', [t.series('tcpstate_collector_success', { collector: 'netstat' }, '0x5 1x15')], [t.at('15m')]),

  t.case('TcpstateSnapshotStale', 'a snapshot that keeps ageing fires', [
    t.series('tcpstate_snapshot_age_seconds', {}, '0+60x20'),
    t.series('tcpstate_collection_interval_seconds', {}, '15x20'),
  ], [
    t.at('15m', [t.fires({}, 'The snapshot 10.0.0.7:9816 serves is 15m 0s old, more than 3 collection intervals.', t.overviewDashboard())]),
  ]),
  t.case('TcpstateSnapshotStale', 'fresh snapshots do not fire', [
    t.series('tcpstate_snapshot_age_seconds', {}, '7x20'),
    t.series('tcpstate_collection_interval_seconds', {}, '15x20'),
  ], [t.at('15m')]),
]
