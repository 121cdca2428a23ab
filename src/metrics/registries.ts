import { collectDefaultMetrics, Counter, Gauge, Registry, type Metric, type OpenMetricsContentType } from 'prom-client';
import type { SnapshotReader } from '../snapshot/snapshot.js';
import type { MetricFamily } from './metricFamily.js';

export interface ExpositionRegistries {
  prometheus: Registry;
  openMetrics: Registry<OpenMetricsContentType>;
}

type AnyRegistry = Registry | Registry<OpenMetricsContentType>;

export interface RegistryOptions {
  /** prom-client's process_* and nodejs_* metrics; off for golden files, which must be deterministic. */
  processMetrics: boolean;
  now?: () => number;
}

/**
 * Private registries, one per exposition format: prom-client rewrites a counter's name when it
 * renders OpenMetrics, so the two formats cannot share metric objects.
 * Each metric fills itself from the latest snapshot when scraped, and only re-fills when a new
 * snapshot has been published since: concurrent scrapes of one snapshot cost a serialization each.
 */
export function buildRegistries(
  families: readonly MetricFamily[],
  snapshots: SnapshotReader,
  opts: RegistryOptions,
): ExpositionRegistries {
  const now = opts.now ?? Date.now;
  const make = <R extends AnyRegistry>(registry: R): R => {
    for (const family of families) register(family, registry, snapshots, now);
    if (opts.processMetrics) addProcessMetrics(registry);
    return registry;
  };
  const openMetrics = new Registry<OpenMetricsContentType>();
  openMetrics.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  return { prometheus: make(new Registry()), openMetrics: make(openMetrics) };
}

function register(family: MetricFamily, registry: AnyRegistry, snapshots: SnapshotReader, now: () => number): void {
  let applied = -1;
  const common = { name: family.name, help: family.help, labelNames: [...family.labelNames], registers: [registry] };
  if (family.type === 'counter') {
    new Counter({
      ...common,
      collect(this: Counter) {
        const s = snapshots.latest();
        if (s === undefined || s.sequence === applied) return;
        applied = s.sequence;
        this.reset();
        for (const sample of family.samples(s, now())) this.inc(sample.labels, sample.value);
      },
    });
  } else {
    new Gauge({
      ...common,
      collect(this: Gauge) {
        const s = snapshots.latest();
        if (s === undefined || (!family.perScrape && s.sequence === applied)) return;
        applied = s.sequence;
        this.reset();
        for (const sample of family.samples(s, now())) this.set(sample.labels, sample.value);
      },
    });
  }
}

/**
 * prom-client's process_* and nodejs_* metrics, less the gauges it names with a `_total` suffix
 * (nodejs_active_handles_total and kin), which `promtool check metrics` rejects. Collected into a
 * scratch registry per target, because counters cannot be shared between formats.
 */
function addProcessMetrics(target: AnyRegistry): void {
  const scratch = new Registry();
  collectDefaultMetrics({ register: scratch });
  for (const metric of scratch.getMetricsAsArray()) {
    const m = metric as unknown as { name: string; type: unknown };
    if (m.name.endsWith('_total') && String(m.type) !== 'counter') continue;
    target.registerMetric(metric as unknown as Metric);
  }
}
