// promtool unit tests of every alert, firing and not firing, and of the recording rules: rendered
// by `npm run mixin` to deploy/prometheus/tests/tcpstate-alerts.test.yml and run there with
// `promtool test rules tests/tcpstate-alerts.test.yml`. Cases are in cases/, helpers in lib.libsonnet.
{
  rule_files: ['../tcpstate-alerts.yml', '../tcpstate-recording.yml'],
  evaluation_interval: '1m',
  tests:
    (import 'cases/connections.libsonnet') +
    (import 'cases/ports.libsonnet') +
    (import 'cases/portHealth.libsonnet') +
    (import 'cases/kernel.libsonnet') +
    (import 'cases/exporter.libsonnet') +
    (import 'cases/healthy.libsonnet') +
    (import 'cases/recording.libsonnet'),
}
