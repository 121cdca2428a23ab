import { gzipSync } from 'node:zlib';
import { collectDefaultMetrics, Registry, type Metric, type OpenMetricsContentType } from 'prom-client';
import type { Snapshot, SnapshotReader } from '../snapshot/snapshot.js';
import type { MetricFamily, Sample } from './metricFamily.js';

export type ExpositionFormat = 'prometheus' | 'openmetrics';

/**
 * A /metrics body as the parts it is made of, each an encoded Buffer: the snapshot part (all but
 * a handful of series) is encoded once per snapshot, the process metrics at most once a second,
 * and only the snapshot age per scrape. A server writes the parts one after another; with
 * `gzip`, each part is a gzip member of its own (RFC 1952 allows a body of several members,
 * which Prometheus, curl and browsers decode as one), so compression too happens once per
 * snapshot instead of once per scrape.
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
  render(format: ExpositionFormat, gzip?: boolean): Promise<Rendered>;
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
  /** prom-client's process_* and nodejs_* metrics; off for golden files, which must be deterministic. */
  processMetrics: boolean;
  now?: () => number;
}

interface FormatRegistries {
  /** Families that change only with the snapshot: rendered once per snapshot. */
  snapshot: AnyRegistry;
  /** prom-client's process and runtime metrics: rendered at most once per PROCESS_METRICS_TTL_MS. */
  process: AnyRegistry;
  /** Families that change at every scrape (snapshot age). */
  live: AnyRegistry;
}

/**
 * prom-client reads /proc/self/fd, /proc/self/status and V8's heap statistics for every render
 * (0.7 ms, 70 times the rest of a scrape). Scrapes are seconds apart; under a burst of concurrent
 * scrapers, one render per second serves them all.
 */
const PROCESS_METRICS_TTL_MS = 1000;

/**
 * The /metrics body, from private prom-client registries. Each format has its own metric
 * objects, because prom-client rewrites a counter's name when it renders OpenMetrics. The
 * snapshot-derived part (all but a handful of series) is serialized once per snapshot and
 * format, so concurrent scrapers cost a string concatenation each, not a re-render.
 */
export function buildExposition(families: readonly MetricFamily[], snapshots: SnapshotReader, opts: RegistryOptions): Exposition {
  const now = opts.now ?? Date.now;
  const samples = families.map((f) => memoizedSamples(f, snapshots, now));
  const processMetrics = opts.processMetrics ? defaultProcessMetrics() : [];
  const make = (contentType: 'prometheus' | 'openmetrics'): FormatRegistries => {
    const registries = { snapshot: newRegistry(contentType), process: newRegistry(contentType), live: newRegistry(contentType) };
    families.forEach((family, i) => {
      const target = family.perScrape ? registries.live : registries.snapshot;
      target.registerMetric(new SnapshotMetric(family, samples[i]!) as unknown as Metric);
    });
    for (const metric of processMetrics) registries.process.registerMetric((contentType === 'openmetrics' ? new MetricView(metric) : metric) as unknown as Metric);
    return registries;
  };
  const byFormat: Record<ExpositionFormat, FormatRegistries> = { prometheus: make('prometheus'), openmetrics: make('openmetrics') };
  const snapshotPart = { prometheus: { for: null as Snapshot | undefined | null, part: EMPTY }, openmetrics: { for: null as Snapshot | undefined | null, part: EMPTY } };
  const processPart = { prometheus: { at: -Infinity, part: EMPTY }, openmetrics: { at: -Infinity, part: EMPTY } };
  return {
    async render(format, gzip = false) {
      const { snapshot, process, live } = byFormat[format];
      const s = snapshots.latest();
      if (snapshotPart[format].for !== s) snapshotPart[format] = { for: s, part: encodePart(format, await snapshot.metrics()) };
      const t = now();
      if (t - processPart[format].at >= PROCESS_METRICS_TTL_MS || t < processPart[format].at) processPart[format] = { at: t, part: encodePart(format, await process.metrics()) };
      const parts = [snapshotPart[format].part, processPart[format].part, encodePart(format, await live.metrics())];
      if (format === 'openmetrics') parts.push(OPENMETRICS_EOF);
      const used = parts.filter((p) => p.text !== '');
      return { contentType: snapshot.contentType, parts: gzip ? used.map((p) => p.gzipped()) : [used.map((p) => p.text).join('')] };
    },
  };
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

/** The part of prom-client's metric protocol the registries use. */
interface RegistryMetric {
  name: string;
  readonly help: string;
  readonly type: unknown;
  get(): unknown;
  /** Histograms: their samples with `le` kept apart, which the text renderer uses instead of get(). */
  getForPromString?: () => unknown;
}

/**
 * prom-client's process_* and nodejs_* metrics, less the gauges it names with a `_total` suffix
 * (nodejs_active_handles_total and kin), which `promtool check metrics` rejects. Made once for
 * both formats: each set has an event-loop-delay histogram and a GC observer of its own.
 */
function defaultProcessMetrics(): RegistryMetric[] {
  const scratch = new Registry();
  collectDefaultMetrics({ register: scratch });
  return (scratch.getMetricsAsArray() as unknown as RegistryMetric[]).filter((m) => !(m.name.endsWith('_total') && String(m.type) !== 'counter'));
}

/**
 * A metric as the OpenMetrics registry sees it: an OpenMetrics render renames a counter in
 * place (it strips `_total`, to add it back per sample), which must not reach the object the
 * classic-format registry renders.
 */
class MetricView implements RegistryMetric {
  name: string;
  readonly help: string;
  readonly type: unknown;
  readonly aggregator = 'sum';
  readonly getForPromString?: () => Promise<object>;
  constructor(private readonly metric: RegistryMetric) {
    this.name = metric.name;
    this.help = metric.help;
    this.type = metric.type;
    const forText = metric.getForPromString?.bind(metric);
    if (forText) this.getForPromString = async () => this.renamed(await forText());
  }
  async get(): Promise<object> {
    return this.renamed(await this.metric.get());
  }
  /** The shared metric's samples under this view's (possibly renamed) name. */
  private renamed(data: unknown): object {
    return { ...(data as object), name: this.name };
  }
  reset(): void {
    // The underlying metric is the classic registry's; it is never reset.
  }
}
