import type { BuildInfo } from '../version.js';
import { EXPORTER_METRICS } from './exporterMetrics.js';
import { KERNEL_METRICS } from './kernelMetrics.js';
import { PREFIX, type MetricFamily } from './metricFamily.js';
import { SOCKET_METRICS } from './socketMetrics.js';

function buildInfoFamily(build: BuildInfo): MetricFamily {
  return {
    name: `${PREFIX}build_info`,
    help: 'Always 1; labels carry the exporter version and the Node.js runtime.',
    type: 'gauge',
    labelNames: ['version', 'nodejs_version'],
    collector: 'exporter',
    samples: () => [{ labels: { version: build.version, nodejs_version: build.nodeVersion }, value: 1 }],
  };
}

/** Every metric family the exporter serves, apart from prom-client's process_* and nodejs_*. */
export function metricCatalog(build: BuildInfo): readonly MetricFamily[] {
  return [...SOCKET_METRICS, ...KERNEL_METRICS, ...EXPORTER_METRICS, buildInfoFamily(build)];
}
