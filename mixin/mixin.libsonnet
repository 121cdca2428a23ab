// The tcpstate-exporter monitoring mixin: import it, override `_config` (config.libsonnet), and
// take prometheusAlerts, prometheusRules and grafanaDashboards as node-mixin and
// kubernetes-mixin hand theirs out. alertmanagerInhibitRules is an extra for Alertmanager's
// `inhibit_rules:`.
(import 'config.libsonnet') +
(import 'alerts/alerts.libsonnet') +
(import 'rules/rules.libsonnet') +
(import 'alerts/inhibit.libsonnet') +
(import 'dashboards/dashboards.libsonnet')
