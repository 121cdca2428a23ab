import type { CollectorName } from '../collectors/index.js';
import type { BuildInfo } from '../version.js';
import { CONNECTION_METRICS } from './connectionMetrics.js';
import { EPHEMERAL_METRICS } from './ephemeralMetrics.js';
import { EXPORTER_METRICS } from './exporterMetrics.js';
import { KERNEL_METRICS } from './kernelMetrics.js';
import { NETNS_METRICS } from './netnsMetrics.js';
import { PROCESS_SOCKET_METRICS } from './processSocketMetrics.js';
import type { MetricFamily } from './metricFamily.js';
import { SOCKET_METRICS } from './socketMetrics.js';
import { TCP_INFO_METRICS } from './tcpInfoMetrics.js';

function buildInfoFamily(build: BuildInfo): MetricFamily {
  return {
    name: 'tcpstate_build_info',
    help: 'Always 1; labels carry the exporter version and the Node.js runtime.',
    type: 'gauge',
    labelNames: ['version', 'nodejs_version'],
    collector: 'exporter',
    samples: () => [{ labels: { version: build.version, nodejs_version: build.nodeVersion }, value: 1 }],
  };
}

/**
 * Every metric family the exporter serves, apart from prom-client's process_* and nodejs_*; with
 * `enabled`, only the families of those collectors (and the exporter's own), so an opt-in
 * collector that is off adds nothing to a scrape.
 */
export function metricCatalog(build: BuildInfo, enabled?: ReadonlySet<CollectorName>): readonly MetricFamily[] {
  const all = [...SOCKET_METRICS, ...EPHEMERAL_METRICS, ...KERNEL_METRICS, ...PROCESS_SOCKET_METRICS, ...NETNS_METRICS, ...CONNECTION_METRICS, ...TCP_INFO_METRICS, ...EXPORTER_METRICS, buildInfoFamily(build)];
  return enabled ? all.filter((f) => f.collector === 'exporter' || enabled.has(f.collector)) : all;
}
