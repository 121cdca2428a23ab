/**
 * The one place to adapt the operations kit: how the rules and dashboards find the exporter, and
 * every alert threshold. Change a value here, run `npm run opskit`, and deploy/prometheus and
 * deploy/grafana are rewritten (a test fails while the committed files differ from this).
 */
export const SETTINGS = {
  /** Label matchers that select this exporter's series in rules (the dashboards use $job/$instance). */
  selector: 'job=~".*tcpstate.*"',
  /** Where runbook_url annotations point. */
  runbookBase: 'https://github.com/tcpstate-exporter/tcpstate-exporter/blob/main/docs/runbooks',
  closeWait: { sockets: 100, for: '15m' },
  timeWait: { sockets: 50_000, for: '10m' },
  timeWaitBuckets: { ratio: 0.8, for: '5m' },
  listenOverflow: { perSecond: 0, for: '5m' },
  listenQueueFill: { ratio: 0.8, for: '5m' },
  ephemeralPorts: { warning: 0.8, critical: 0.95, for: '5m' },
  keepaliveOff: { ratio: 0.5, minSockets: 20, for: '30m' },
  deadPeerDetection: { seconds: 3600, for: '1h' },
  retransmits: { ratio: 0.02, minSegmentsPerSecond: 100, for: '15m' },
  exporterDown: { for: '5m' },
  collectorFailing: { for: '10m' },
  /** A snapshot older than this many collection intervals is stale. */
  staleSnapshot: { intervals: 3, for: '5m' },
} as const;
