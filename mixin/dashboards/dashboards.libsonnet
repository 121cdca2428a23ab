// The Grafana dashboards of the mixin, by file name: `npm run mixin` writes each to
// deploy/grafana/<name> and to the Helm chart's files/. Settings (uids, tags, refresh, timezone,
// NAT idle timeouts) come from _config (config.libsonnet).
{
  grafanaDashboards+:: {
    'tcpstate-overview.json': (import 'overview.libsonnet')($._config),
    'tcpstate-port.json': (import 'port.libsonnet')($._config),
  },
}
