import { gzipSync } from 'node:zlib';
import { Registry, type Metric, type OpenMetricsContentType } from 'prom-client';
import type { CollectorName } from '../collectors/index.js';
import type { Snapshot, SnapshotReader } from '../snapshot/snapshot.js';
import type { MetricFamily, Sample } from './metricFamily.js';
import { defaultProcessMetrics, MetricView } from './processMetrics.js';

export type ExpositionFormat = 'prometheus' | 'openmetrics';

/**
 * A /metrics body as the parts it is made of: one part per collector and one for the
 * exporter's own families, each encoded once per snapshot; the process metrics at most once a
 * second; and only the snapshot age per scrape. A scrape filtered with collect[]/exclude[] is
 * the chosen collectors' parts, cached the same way. A server writes the parts one after
 * another; with `gzip`, each part is a gzip member of its own (RFC 1952 allows a body of several
 * members, which Prometheus, curl and browsers decode as one), so compression too happens once
 * per snapshot instead of once per scrape.
 */
export interface Rendered {
  contentType: string;
  /**
   * Uncompressed: the body as one string, which the server encodes straight into the socket
   * (measured: copying the cached Buffers into one per scrape raised peak RSS at 1M sockets under
   * ten back-to-back scrapers by 3-5 MB, as each copy is external memory only a GC frees).
   * Gzip: the cached gzip members, small.
   */
  parts: readonly (Buffer | string)[];
}

export interface Exposition {
  /**
   * The body of one scrape. `collectors`: those a collect[]/exclude[] scrape chose (checked
   * against the enabled ones by the caller); undefined: every one.
   */
  render(format: ExpositionFormat, gzip?: boolean, collectors?: ReadonlySet<CollectorName>): Promise<Rendered>;
}

/** The body as one string (tests, tools). */
export function renderedText(r: Rendered): string {
  return r.parts.map((p) => (typeof p === 'string' ? p : p.toString('utf8'))).join('');
}

/** An encoded part and, made on first use, its gzip member. */
class Part {
  private gz: Buffer | undefined;
  constructor(readonly text: string) {}
  gzipped(): Buffer {
    this.gz ??= gzipSync(this.text);
    return this.gz;
  }
}

const EMPTY = new Part('');
const OPENMETRICS_EOF = new Part('# EOF\n');

type AnyRegistry = Registry | Registry<OpenMetricsContentType>;

export interface RegistryOptions {
  /** prom-client's process_* and nodejs_* metrics; off for golden files and --web.disable-exporter-metrics. */
  processMetrics: boolean;
  now?: () => number;
}

/**
 * prom-client reads /proc/self/fd, /proc/self/status and V8's heap statistics for every render
 * (0.7 ms, 70 times the rest of a scrape). Scrapes are seconds apart; under a burst of concurrent
 * scrapers, one render per second serves them all.
 */
const PROCESS_METRICS_TTL_MS = 1000;

/** Parts of one snapshot: per collector, and the exporter's own per choice of collectors ("*": all). */
interface SnapshotParts {
  for: Snapshot | undefined | null;
  collectors: Map<CollectorName, Part>;
  exporter: Map<string, Part>;
}

/**
 * The /metrics body, from private prom-client registries. Each format has its own metric
 * objects, because prom-client rewrites a counter's name when it renders OpenMetrics. The
 * snapshot-derived parts (all but a handful of series) are serialized once per snapshot and
 * format, so concurrent scrapers cost a string concatenation each, not a re-render.
 */
export function buildExposition(families: readonly MetricFamily[], snapshots: SnapshotReader, opts: RegistryOptions): Exposition {
  const now = opts.now ?? Date.now;
  const samples = new Map(families.map((f) => [f, memoizedSamples(f, snapshots, now)] as const));
  // Families that change only with the snapshot, by collector, in catalog order; then the exporter's own.
  const byCollector = new Map<CollectorName, MetricFamily[]>();
  const exporterFamilies: MetricFamily[] = [];
  const liveFamilies: MetricFamily[] = [];
  for (const f of families) {
    if (f.perScrape) liveFamilies.push(f);
    else if (f.collector === 'exporter') exporterFamilies.push(f);
    else byCollector.set(f.collector, [...(byCollector.get(f.collector) ?? []), f]);
  }
  const processMetrics = opts.processMetrics ? defaultProcessMetrics() : [];

  const make = (format: ExpositionFormat) => {
    const registry = (metrics: readonly MetricFamily[], keep?: ReadonlySet<CollectorName>): AnyRegistry => {
      const r = newRegistry(format);
      for (const f of metrics) r.registerMetric(new SnapshotMetric(f, filtered(samples.get(f)!, f, keep)) as unknown as Metric);
      return r;
    };
    const process = newRegistry(format);
    for (const metric of processMetrics) process.registerMetric((format === 'openmetrics' ? new MetricView(metric) : metric) as unknown as Metric);
    return {
      collectors: new Map([...byCollector].map(([c, fs]) => [c, registry(fs)] as const)),
      /** The exporter's families for one choice of collectors, made on its first scrape (at most one per subset of the enabled collectors). */
      exporter: new Map<string, AnyRegistry>(),
      exporterFor(key: string, keep: ReadonlySet<CollectorName> | undefined): AnyRegistry {
        let r = this.exporter.get(key);
        if (!r) this.exporter.set(key, (r = registry(exporterFamilies, keep)));
        return r;
      },
      process,
      live: registry(liveFamilies),
      contentType: process.contentType,
      parts: { for: null, collectors: new Map(), exporter: new Map() } as SnapshotParts,
      processPart: { at: -Infinity, part: EMPTY },
    };
  };
  const byFormat = { prometheus: make('prometheus'), openmetrics: make('openmetrics') };

  return {
    async render(format, gzip = false, chosen) {
      const f = byFormat[format];
      const s = snapshots.latest();
      if (f.parts.for !== s) f.parts = { for: s, collectors: new Map(), exporter: new Map() };
      const cache = f.parts;
      const collectors = [...f.collectors.keys()].filter((c) => chosen === undefined || chosen.has(c));
      const parts: Part[] = [];
      for (const c of collectors) {
        let part = cache.collectors.get(c);
        if (!part) cache.collectors.set(c, (part = encodePart(format, await f.collectors.get(c)!.metrics())));
        parts.push(part);
      }
      const key = chosen === undefined ? '*' : collectors.join(',');
      let exporterPart = cache.exporter.get(key);
      if (!exporterPart) cache.exporter.set(key, (exporterPart = encodePart(format, await f.exporterFor(key, chosen && new Set(collectors)).metrics())));
      parts.push(exporterPart);
      const t = now();
      if (t - f.processPart.at >= PROCESS_METRICS_TTL_MS || t < f.processPart.at) f.processPart = { at: t, part: encodePart(format, await f.process.metrics()) };
      parts.push(f.processPart.part, encodePart(format, await f.live.metrics()));
      if (format === 'openmetrics') parts.push(OPENMETRICS_EOF);
      const used = parts.filter((p) => p.text !== '');
      return { contentType: f.contentType, parts: gzip ? used.map((p) => p.gzipped()) : [used.map((p) => p.text).join('')] };
    },
  };
}

/**
 * A family's samples, less those of collectors not chosen when it has one sample per collector
 * (tcpstate_collector_success and _duration_seconds: node_exporter's node_scrape_collector_*
 * likewise name only the collectors a filtered scrape ran).
 */
function filtered(samples: () => readonly Sample[], family: MetricFamily, keep: ReadonlySet<CollectorName> | undefined): () => readonly Sample[] {
  if (!keep || !family.perCollector) return samples;
  return () => samples().filter((s) => keep.has(s.labels['collector'] as CollectorName));
}

/**
 * One registry's output as a part of the whole body. Classic text: a part ends with a blank line,
 * which separates families as prom-client does within one registry. OpenMetrics: "# EOF" is
 * removed, to be written once after the last part, and no blank line is allowed. An empty
 * registry (a bare newline) is an empty part.
 */
function encodePart(format: ExpositionFormat, text: string): Part {
  const body = format === 'openmetrics' ? text.replace(/# EOF\n$/, '') : text;
  if (body.trim() === '') return EMPTY;
  return new Part(format === 'openmetrics' ? body : `${body}\n`);
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

