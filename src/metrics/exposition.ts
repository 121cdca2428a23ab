import { gunzipSync, gzipSync } from 'node:zlib';
import type { CollectorName } from '../collectors/index.js';
import type { Snapshot, SnapshotReader } from '../snapshot/snapshot.js';
import type { MetricFamily, Sample } from './metricFamily.js';
import { ProcessMetrics } from './processMetrics.js';
import { CONTENT_TYPE, OPENMETRICS_EOF, writeFamily, type ExpositionFormat, type WrittenFamily, type WrittenSample } from './textFormat.js';

export type { ExpositionFormat } from './textFormat.js';

/** One /metrics response body. */
export interface Rendered {
  contentType: string;
  /**
   * Uncompressed: one string, which the server encodes straight into the socket. Gzip: the whole
   * body compressed as one member, per scrape (docs/design.md, "Rendering /metrics").
   */
  body: string | Buffer;
}

export interface Exposition {
  /**
   * The body of one scrape. `collectors`: those a collect[]/exclude[] scrape chose (checked
   * against the enabled ones by the caller); undefined: every one.
   */
  render(format: ExpositionFormat, gzip?: boolean, collectors?: ReadonlySet<CollectorName>): Promise<Rendered>;
}

/** The body as text, gunzipped if need be (tests, tools). */
export function renderedText(r: Rendered): string {
  return typeof r.body === 'string' ? r.body : gunzipSync(r.body).toString('utf8');
}

export interface ExpositionOptions {
  /** prom-client's process_* and nodejs_* metrics; off for golden files and --web.disable-exporter-metrics. */
  processMetrics: boolean;
  /** The scrape clock (tcpstate_snapshot_age_seconds); tests move it. */
  now?: () => number;
}

/**
 * The text of one snapshot in one format, written on first use: per collector, and the
 * exporter's own families per choice of collectors ("*": all; at most one per subset of the
 * enabled collectors a scraper asks for).
 */
class SnapshotText {
  readonly collectors = new Map<CollectorName, string>();
  readonly exporter = new Map<string, string>();
  process: string | undefined;
  constructor(readonly snapshot: Snapshot | undefined | null) {}
}

/**
 * The /metrics body: the catalog's families, written by textFormat.ts, then prom-client's
 * process metrics. What derives from the snapshot alone (all but a handful of series) is written
 * once per snapshot and format; the process metrics are read at the first scrape of each
 * snapshot (concurrent scrapes share that read), as fresh as the socket table they come with: in
 * the default setup (one scraper, one snapshot per scrape) at every scrape; ten scrapers back to
 * back do not read /proc/self ten times a millisecond. The snapshot age is written at every scrape.
 * Order: each collector's families in catalog order, the exporter's own, the process metrics,
 * the per-scrape families.
 */
export function buildExposition(families: readonly MetricFamily[], snapshots: SnapshotReader, opts: ExpositionOptions): Exposition {
  const now = opts.now ?? Date.now;
  const byCollector = new Map<CollectorName, MetricFamily[]>();
  const exporterFamilies: MetricFamily[] = [];
  const perScrapeFamilies: MetricFamily[] = [];
  for (const f of families) {
    if (f.perScrape) perScrapeFamilies.push(f);
    else if (f.collector === 'exporter') exporterFamilies.push(f);
    else byCollector.set(f.collector, [...(byCollector.get(f.collector) ?? []), f]);
  }
  const processMetrics = opts.processMetrics ? new ProcessMetrics() : undefined;
  // One read per snapshot, shared by both formats and by scrapes that arrive while it runs.
  let processRead: { snapshot: Snapshot | undefined | null; families: Promise<WrittenFamily[]> } | undefined;
  const processFamilies = (snapshot: Snapshot | undefined): Promise<WrittenFamily[]> => {
    if (processRead !== undefined && processRead.snapshot === snapshot) return processRead.families;
    const read = { snapshot, families: processMetrics!.families() };
    processRead = read;
    return read.families;
  };
  const cache: Record<ExpositionFormat, SnapshotText> = { prometheus: new SnapshotText(null), openmetrics: new SnapshotText(null) };

  return {
    async render(format, gzip = false, chosen) {
      const snapshot = snapshots.latest();
      const nowMs = now();
      if (cache[format].snapshot !== snapshot) cache[format] = new SnapshotText(snapshot);
      const text = cache[format];
      const write = (fs: readonly MetricFamily[], keep?: ReadonlySet<CollectorName>): string =>
        fs.map((f) => writeFamily(format, { name: f.name, help: f.help, type: f.type, samples: written(chosenSamples(f, snapshot, nowMs, keep)) })).join('');

      const collectors = [...byCollector.keys()].filter((c) => chosen === undefined || chosen.has(c));
      let body = '';
      for (const c of collectors) {
        let part = text.collectors.get(c);
        if (part === undefined) text.collectors.set(c, (part = write(byCollector.get(c)!)));
        body += part;
      }
      const key = chosen === undefined ? '*' : collectors.join(',');
      let exporterPart = text.exporter.get(key);
      if (exporterPart === undefined) text.exporter.set(key, (exporterPart = write(exporterFamilies, chosen && new Set(collectors))));
      body += exporterPart;
      if (processMetrics) {
        if (snapshot === undefined) {
          // Before the first snapshot (a long first cycle) every scrape reads them afresh.
          for (const f of await processMetrics.families()) body += writeFamily(format, f);
        } else {
          if (text.process === undefined) {
            const families = await processFamilies(snapshot);
            // Another scrape of the same snapshot may have written it while this one waited.
            text.process ??= families.map((f) => writeFamily(format, f)).join('');
          }
          body += text.process;
        }
      }
      body += write(perScrapeFamilies);
      if (format === 'openmetrics') body += OPENMETRICS_EOF;
      // Synchronous: about a millisecond per scrape, and the libuv pool may be held by hung reads.
      return { contentType: CONTENT_TYPE[format], body: gzip ? gzipSync(body) : body };
    },
  };
}

/**
 * A family's samples, less those of collectors not chosen when it has one sample per collector
 * (tcpstate_collector_success and _duration_seconds: node_exporter's node_scrape_collector_*
 * likewise name only the collectors a filtered scrape ran).
 */
function chosenSamples(family: MetricFamily, snapshot: Snapshot | undefined, nowMs: number, keep: ReadonlySet<CollectorName> | undefined): Iterable<Sample> {
  const samples = family.samples(snapshot, nowMs);
  if (!keep || !family.perCollector) return samples;
  const names: ReadonlySet<string> = keep;
  return [...samples].filter((s) => names.has(s.labels['collector'] ?? ''));
}

/** Samples as the writer takes them: a histogram bucket's bound becomes its `le` label, after the others. */
function* written(samples: Iterable<Sample>): Iterable<WrittenSample> {
  for (const s of samples) yield s.le === undefined ? s : { suffix: s.suffix, labels: { ...s.labels, le: s.le }, value: s.value };
}
