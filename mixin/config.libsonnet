// Every knob of the tcpstate mixin: selectors, thresholds, severities, `for` durations, links and
// dashboard settings. Override any of them when vendoring:
//   (import 'tcpstate-mixin/mixin.libsonnet') + { _config+:: { closeWait+: { sockets: 50 } } }
// Expressions read only from here; nothing below hard-codes a threshold or a label value.
{
  _config+:: {
    // Extra label matchers added to every tcpstate_* selector, e.g. 'cluster="prod"'. Empty by
    // default: the tcpstate_ metric names already select this exporter, whatever job scrapes it.
    tcpstateSelector: '',

    // Where a job is meant (the `up` series of the exporter's targets): any of these selectors
    // marks a target as a tcpstate-exporter. The defaults match a job named after the exporter
    // (static configs, the prometheus-operator's ServiceMonitor/PodMonitor job names) and the
    // stock kubernetes-service-endpoints / kubernetes-pods jobs, whose labelmap turns the chart's
    // app.kubernetes.io/name label into app_kubernetes_io_name.
    upSelectors: ['job=~".*tcpstate.*"', 'app_kubernetes_io_name="tcpstate-exporter"'],
    // Targets that served tcpstate_build_info within this window count as exporters even when no
    // upSelector matches them, so a down target is caught under any job name.
    exporterMemory: '6h',

    // The labels that name one exporter (one host, or one pod with a sidecar).
    instanceLabels: ['job', 'instance'],

    // Links put on every alert.
    runbookURLPattern: 'https://github.com/tcpstate-exporter/tcpstate-exporter/blob/main/docs/runbooks/%s.md',
    grafanaURL: 'http://grafana.example.com',

    // Dashboards.
    dashboardTags: ['tcpstate', 'tcp', 'network'],
    dashboardRefresh: '30s',
    dashboardTimezone: 'utc',
    dashboardUIDs: {
      overview: 'tcpstate-overview',
      port: 'tcpstate-port',
    },

    // Alerts: thresholds, `for`, severity. Levels without a consequence are dashboard signals,
    // not alerts; see docs/runbooks for the reasoning of each.
    closeWait: { sockets: 100, 'for': '15m', severity: 'warning' },
    listenOverflow: { perSecond: 1, window: '5m', 'for': '5m', severity: 'warning' },
    synFlood: { cookiesPerSecond: 10, synRecvSockets: 100, window: '5m', 'for': '5m', severity: 'warning' },
    ephemeralPorts: { pressure: 0.8, exhaustion: 0.95, pressureFor: '15m', exhaustionFor: '2m', pressureSeverity: 'warning', exhaustionSeverity: 'critical' },
    connectStalled: { synSentSockets: 20, 'for': '5m', severity: 'warning' },
    retransmits: { ratio: 0.02, minSegmentsPerSecond: 100, window: '5m', 'for': '15m', severity: 'warning' },
    memoryPressure: { window: '10m', 'for': '5m', severity: 'warning' },
    abortOnMemory: { window: '5m', 'for': '0m', severity: 'critical' },
    orphans: { ratio: 0.8, 'for': '5m', severity: 'warning' },
    timeWaitOverflow: { window: '10m', 'for': '0m', severity: 'info' },
    keepaliveOff: { ratio: 0.5, minSockets: 20, 'for': '1h', severity: 'info' },
    exporterDown: { 'for': '10m', severity: 'warning' },
    exporterNoSnapshot: { 'for': '10m', severity: 'warning' },
    exporterAbsent: { 'for': '15m', severity: 'warning' },
    collectorFailing: { 'for': '10m', severity: 'warning' },
    // A snapshot older than this many collection intervals is stale.
    snapshotStale: { intervals: 3, 'for': '5m', severity: 'warning' },
  },
}
