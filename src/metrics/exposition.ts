import { collectDefaultMetrics, Registry, type Metric, type OpenMetricsContentType } from 'prom-client';
import type { Snapshot, SnapshotReader } from '../snapshot/snapshot.js';
import type { MetricFamily, Sample } from './metricFamily.js';

export type ExpositionFormat = 'prometheus' | 'openmetrics';

export interface Exposition {
  render(format: ExpositionFormat): Promise<{ contentType: string; body: string }>;
}

type AnyRegistry = Registry | Registry<OpenMetricsContentType>;

export interface RegistryOptions {
  /** prom-client's process_* and nodejs_* metrics; off for golden files, which must be deterministic. */
  processMetrics: boolean;
  now?: () => number;
}

interface FormatRegistries {
  /** Families that change only with the snapshot: rendered once per snapshot. */
  snapshot: AnyRegistry;
  /** Families that change at every scrape (snapshot age, process metrics). */
  live: AnyRegistry;
}

/**
 * The /metrics body, from private prom-client registries. Each format has its own metric
 * objects, because prom-client rewrites a counter's name when it renders OpenMetrics. The
 * snapshot-derived part (all but a handful of series) is serialized once per snapshot and
 * format, so concurrent scrapers cost a string concatenation each, not a re-render.
 */
export function buildExposition(families: readonly MetricFamily[], snapshots: SnapshotReader, opts: RegistryOptions): Exposition {
  const now = opts.now ?? Date.now;
  const samples = families.map((f) => memoizedSamples(f, snapshots, now));
  const make = (contentType: 'prometheus' | 'openmetrics'): FormatRegistries => {
    const registries = { snapshot: newRegistry(contentType), live: newRegistry(contentType) };
    families.forEach((family, i) => {
      const target = family.perScrape ? registries.live : registries.snapshot;
      target.registerMetric(new SnapshotMetric(family, samples[i]!) as unknown as Metric);
    });
    if (opts.processMetrics) addProcessMetrics(registries.live);
    return registries;
  };
  const byFormat: Record<ExpositionFormat, FormatRegistries> = { prometheus: make('prometheus'), openmetrics: make('openmetrics') };
  const cache: Record<ExpositionFormat, { for: Snapshot | undefined | null; text: string }> = {
    prometheus: { for: null, text: '' },
    openmetrics: { for: null, text: '' },
  };
  return {
    async render(format) {
      const { snapshot, live } = byFormat[format];
      const s = snapshots.latest();
      if (cache[format].for !== s) cache[format] = { for: s, text: await snapshot.metrics() };
      const liveText = await live.metrics();
      const cached = cache[format].text;
      // Both formats end every family with a newline; OpenMetrics ends the whole body with one "# EOF".
      const body = format === 'openmetrics' ? cached.replace(/# EOF\n$/, '') + liveText : `${cached}\n${liveText}`;
      return { contentType: snapshot.contentType, body };
    },
  };
}

function newRegistry(format: ExpositionFormat): AnyRegistry {
  if (format === 'prometheus') return new Registry();
  const r = new Registry<OpenMetricsContentType>();
  r.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  return r;
}

/** Samples of the latest snapshot, computed once per snapshot (every scrape for perScrape families). */
function memoizedSamples(family: MetricFamily, snapshots: SnapshotReader, now: () => number): () => readonly Sample[] {
  let cachedFor: Snapshot | undefined | null = null;
  let cached: readonly Sample[] = [];
  return () => {
    const s = snapshots.latest();
    if (family.perScrape || s !== cachedFor) {
      cached = [...family.samples(s, now())];
      cachedFor = s;
    }
    return cached;
  };
}

/**
 * A metric in prom-client's registry protocol (`get()` returning name, help, type and values)
 * whose values come straight from the snapshot. Unlike a Gauge, it can have no sample at all,
 * so a failed collector's metrics disappear instead of reading as a false 0.
 */
class SnapshotMetric {
  name: string;
  readonly help: string;
  readonly type: string;
  readonly labelNames: readonly string[];
  readonly aggregator = 'sum';

  constructor(
    family: MetricFamily,
    private readonly samples: () => readonly Sample[],
  ) {
    this.name = family.name;
    this.help = family.help;
    this.type = family.type;
    this.labelNames = family.labelNames;
  }

  get(): { name: string; help: string; type: string; aggregator: string; values: Array<{ labels: Record<string, string>; value: number }> } {
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values: this.samples().map((s) => ({ labels: { ...s.labels }, value: s.value })),
    };
  }

  reset(): void {
    // Values are derived from the snapshot; there is nothing to reset.
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
