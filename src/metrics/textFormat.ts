/**
 * The two text exposition formats Prometheus scrapes, written by hand for the families this
 * exporter serves (counters, gauges, prom-client's one histogram, and the gauge histogram of RTTs):
 *
 * - Prometheus text format 0.0.4 (prometheus/docs, "Exposition formats"): `# HELP name text`
 *   with backslash and line feed escaped, `# TYPE name type`, then the samples; a blank line
 *   after every family, as prom-client and client_golang write it.
 * - OpenMetrics 1.0 (prometheus/docs, docs/specs/om/open_metrics_spec.md): no blank lines; a
 *   counter's family is named without `_total` in TYPE and HELP while its samples keep it; HELP
 *   escapes double quotes too (its `escaped-string`); histogram `le` values are canonical numbers
 *   ("1.0", not "1"); the body ends with `# EOF`. No UNIT lines: they are optional, and the unit
 *   is in every name already. A gauge histogram (buckets that can go down: a distribution of what
 *   exists now) is `# TYPE x gaugehistogram` with `x_bucket`, `x_gcount` and `x_gsum` (no
 *   `_created`); Prometheus 2.42 ingests those three names as they are.
 * - The text format has no gauge histogram: one is written as a `histogram` with `_count` and
 *   `_sum`, as client libraries without the type do; its help says not to rate() it.
 *
 * Label values escape backslash, double quote and line feed in both formats.
 */
export type ExpositionFormat = 'prometheus' | 'openmetrics';

export const CONTENT_TYPE: Readonly<Record<ExpositionFormat, string>> = {
  prometheus: 'text/plain; version=0.0.4; charset=utf-8',
  openmetrics: 'application/openmetrics-text; version=1.0.0; charset=utf-8',
};

/** The last line of an OpenMetrics body. */
export const OPENMETRICS_EOF = '# EOF\n';

export type FamilyType = 'counter' | 'gauge' | 'histogram' | 'gaugehistogram';

export interface WrittenSample {
  /**
   * Appended to the family name: "_bucket", "_sum" or "_count" for a histogram's (and a gauge
   * histogram's) samples, none otherwise; OpenMetrics writes a gauge histogram's "_sum" and
   * "_count" as "_gsum" and "_gcount".
   */
  suffix?: string;
  /** In the order written. A number (a histogram's `le`) is written as a number; undefined is left out. */
  labels: Readonly<Record<string, string | number | undefined>>;
  value: number;
}

/** One family as it is written: its full name (with `_total` for a counter), help, type and samples. */
export interface WrittenFamily {
  name: string;
  help: string;
  type: FamilyType;
  samples: Iterable<WrittenSample>;
}

/**
 * One family in `format`: its HELP and TYPE lines (even with no samples: a collector that failed
 * keeps its families' descriptions, as prom-client wrote them), its samples, each line ending in
 * a line feed; in the text format, followed by a blank line.
 */
export function writeFamily(format: ExpositionFormat, family: WrittenFamily): string {
  const om = format === 'openmetrics';
  // OpenMetrics names a counter's family without the suffix its samples carry.
  const counterBase = om && family.type === 'counter' ? family.name.replace(/_total$/, '') : undefined;
  const descriptor = counterBase ?? family.name;
  const gauge = family.type === 'gaugehistogram';
  const type = gauge && !om ? 'histogram' : family.type;
  let out = `# HELP ${descriptor} ${om ? escapeOpenMetricsHelp(family.help) : escapeTextHelp(family.help)}\n# TYPE ${descriptor} ${type}\n`;
  const canonicalLe = om && (family.type === 'histogram' || gauge);
  const gaugeSuffixes = om && gauge;
  for (const s of family.samples) {
    const suffix = gaugeSuffixes ? gaugeHistogramSuffix(s.suffix) : s.suffix;
    const name = counterBase === undefined ? family.name + (suffix ?? '') : `${counterBase}_total`;
    out += `${name}${labelSet(s.labels, canonicalLe)} ${formatValue(s.value)}\n`;
  }
  return om ? out : `${out}\n`;
}

/** OpenMetrics' names for a gauge histogram's count and sum (its "GaugeHistogram" section). */
function gaugeHistogramSuffix(suffix: string | undefined): string | undefined {
  return suffix === '_count' ? '_gcount' : suffix === '_sum' ? '_gsum' : suffix;
}

function labelSet(labels: WrittenSample['labels'], canonicalLe: boolean): string {
  let out = '';
  for (const name in labels) {
    const v = labels[name];
    if (v === undefined) continue;
    const text = typeof v === 'number' ? (canonicalLe && name === 'le' ? canonicalNumber(v) : formatValue(v)) : escapeLabelValue(v);
    out += `${out === '' ? '{' : ','}${name}="${text}"`;
  }
  return out === '' ? '' : `${out}}`;
}

/** A sample value: JavaScript's shortest round-trip form; NaN and the infinities as both formats spell them. */
function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** OpenMetrics' canonical rendering of an `le` value: a float, so an integer gets ".0" ("1.0", "+Inf"). */
function canonicalNumber(v: number): string {
  const s = formatValue(v);
  return /^-?\d+$/.test(s) ? `${s}.0` : s;
}

const NEEDS_ESCAPE = /[\\\n"]/;

function escapeLabelValue(v: string): string {
  return NEEDS_ESCAPE.test(v) ? v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"') : v;
}

/** Text format 0.0.4 HELP: backslash and line feed only (a double quote stays as it is). */
function escapeTextHelp(help: string): string {
  return help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** OpenMetrics HELP is an escaped-string like a label value: double quotes are escaped too. */
function escapeOpenMetricsHelp(help: string): string {
  return escapeLabelValue(help);
}
