// Every knob of the tcpstate mixin: selectors, thresholds, severities, `for` durations, links and
// dashboard settings. Override any of them when vendoring:
//   (import 'tcpstate-mixin/mixin.libsonnet') + { _config+:: { closeWait+: { sockets: 50 } } }
// Expressions read only from here; nothing below hard-codes a threshold or a label value.
{
  _config+:: {
    // Extra label matchers added to every tcpstate_* selector, e.g. 'cluster="prod"'. Empty by
    // default: the tcpstate_ metric names already select this exporter, whatever job scrapes it.
    tcpstateSelector: '',

    // Where a job is meant (the `up` series of the exporter's targets; tcpstateSelector is added
    // to each): any of these selectors marks a target as a tcpstate-exporter. The defaults match a job named after the exporter
    // (static configs, the prometheus-operator's ServiceMonitor/PodMonitor job names) and the
    // stock kubernetes-service-endpoints / kubernetes-pods jobs, whose labelmap turns the chart's
    // app.kubernetes.io/name label into app_kubernetes_io_name.
    upSelectors: ['job=~".*tcpstate.*"', 'app_kubernetes_io_name="tcpstate-exporter"'],
    // Targets that served tcpstate_build_info within this window count as exporters even when no
    // upSelector matches them, so a down target is caught under any job name.
    exporterMemory: '6h',

    // The labels that name one exporter (one host, or one pod with a sidecar): every `on (...)`
    // join and the inhibit rules' `equal` use them. Add the labels of tcpstateSelector (cluster).
    instanceLabels: ['job', 'instance'],

    // Links put on every alert: runbook_url (%s is the alert name) and dashboard_url (Grafana's
    // base URL; the dashboards' uids are dashboardUIDs below).
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
    dashboardTimeFrom: 'now-6h',
    // Rows the "busiest" bar gauges and tables show (ports, processes, namespaces).
    dashboardTopK: 10,
    // Idle timeouts of common NAT gateways and load balancers, shown against
    // tcp_keepalive_time: a connection idle for longer through one of them is dropped without a
    // RST, so the first keepalive probe (tcp_keepalive_time, or the socket's own TCP_KEEPIDLE)
    // must come before it. Lowest first; the panels colour keepalive_time at or above each one.
    natIdleTimeouts: [
      { name: 'Azure Load Balancer and NAT gateway (default)', seconds: 240 },
      { name: 'AWS NAT gateway and Network Load Balancer', seconds: 350 },
      { name: 'Google Cloud NAT (established TCP)', seconds: 1200 },
    ],

    // Alerts: thresholds, windows, `for`, severity. Levels without a consequence are dashboard
    // signals, not alerts; docs/runbooks gives the reasoning of each.
    // CLOSE_WAIT sockets on one role/port, and the window over which the count must not fall.
    closeWait: { sockets: 100, drainWindow: '10m', 'for': '15m', severity: 'warning' },
    // Per server port, from the closed connections (--collector.connections): retransmitted
    // segments over all segments sent (tcpi_total_retrans / tcpi_segs_out) over `window`, while
    // the port's closing connections sent at least `minSegmentsPerSecond` (a port that closed three
    // connections, one with a retransmission, is no signal).
    portRetransmits: { ratio: 0.05, minSegmentsPerSecond: 10, window: '10m', 'for': '15m', severity: 'warning' },
    // ESTABLISHED sockets of one role and port whose retransmission timer fired with nothing
    // acknowledged since (--collector.tcpinfo): at least `sockets` of them for `for` is a peer or
    // path that drops what we send.
    peerBlackholed: { sockets: 3, 'for': '5m', severity: 'warning' },
    // TcpExt ListenOverflows per second over `window`. 0.5/s is 150 drops in 5m: two stray drops
    // stay far below, a listener whose accept loop hangs with a client every ten seconds (each
    // retrying its SYN about 7 times) is above.
    listenOverflow: { perSecond: 0.5, window: '5m', 'for': '5m', severity: 'warning' },
    // SyncookiesSent per second over `window`; a server port that held this many SYN_RECV
    // sockets in the window is named as the one whose SYN queue overflowed.
    synFlood: { cookiesPerSecond: 1, synRecvSockets: 10, window: '5m', 'for': '5m', severity: 'warning' },
    // Share of the usable ephemeral ports that connect() to one destination cannot reuse (and,
    // for exhaustion, that bind() holds exclusively).
    ephemeralPorts: { pressure: 0.8, exhaustion: 0.95, pressureFor: '15m', exhaustionFor: '2m', pressureSeverity: 'warning', exhaustionSeverity: 'critical' },
    // SYN_SENT sockets toward one remote port.
    connectStalled: { synSentSockets: 20, 'for': '5m', severity: 'warning' },
    retransmits: { ratio: 0.02, minSegmentsPerSecond: 100, window: '5m', 'for': '15m', severity: 'warning' },
    // TCPMemoryPressures increase within `window`, or socket memory at the tcp_mem pressure value.
    memoryPressure: { window: '10m', 'for': '5m', severity: 'warning' },
    abortOnMemory: { window: '5m', 'for': '0m', severity: 'critical' },
    orphans: { ratio: 0.8, 'for': '5m', severity: 'warning' },
    timeWaitOverflow: { window: '10m', 'for': '0m', severity: 'info' },
    // Client-role ports (connection pools) with more than `ratio` of at least `minSockets`
    // established connections lacking a keepalive timer.
    keepaliveOff: { ratio: 0.5, minSockets: 20, 'for': '1h', severity: 'info' },
    exporterDown: { 'for': '10m', severity: 'warning' },
    exporterNoSnapshot: { 'for': '10m', severity: 'warning' },
    exporterAbsent: { 'for': '15m', severity: 'warning' },
    collectorFailing: { 'for': '10m', severity: 'warning' },
    // A snapshot older than this many collection intervals is stale.
    snapshotStale: { intervals: 3, 'for': '5m', severity: 'warning' },
  },
}
