import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalizeExposition } from '../../helpers/exposition.js';
import { goldenBodies, GOLDEN_CASES } from '../../helpers/goldenBodies.js';

const ESCAPED = String.raw`(?:[^"\\\n]|\\[n"\\])*`;
const LABELS = String.raw`(?:\{[a-zA-Z_][a-zA-Z0-9_]*="${ESCAPED}"(?:,[a-zA-Z_][a-zA-Z0-9_]*="${ESCAPED}")*\})?`;
const NUMBER = String.raw`(?:[+-]?\d+(?:\.\d*)?(?:e[+-]?\d+)?|[+-]?\d*\.\d+(?:e[+-]?\d+)?|[+-]?Inf|NaN)`;

/**
 * Lines of an OpenMetrics 1.0 body that its ABNF (docs/specs/om/open_metrics_spec.md) or its
 * rules refuse: HELP text an escaped-string; TYPE a known type; samples named after the family
 * before them (a counter's family without `_total`, its samples with it; a gauge histogram's
 * `_bucket`, `_gsum`, `_gcount`); no blank line; one
 * `# EOF` at the very end.
 */
const SUFFIXES: Readonly<Record<string, readonly string[]>> = { counter: ['_total'], histogram: ['_bucket', '_sum', '_count'], gaugehistogram: ['_bucket', '_gsum', '_gcount'] };

function openMetricsViolations(body: string): string[] {
  const bad: string[] = [];
  const lines = body.split('\n');
  if (lines.pop() !== '' || lines.pop() !== '# EOF') bad.push('does not end with "# EOF\\n"');
  let family = '';
  let type = '';
  for (const line of lines) {
    const help = new RegExp(`^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (${ESCAPED})$`).exec(line);
    const typed = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|gaugehistogram)$/.exec(line);
    const sample = new RegExp(`^([a-zA-Z_:][a-zA-Z0-9_:]*)${LABELS} ${NUMBER}$`).exec(line);
    if (help) family = help[1]!;
    else if (typed && typed[1] === family) type = typed[2]!;
    else if (sample) {
      const allowed = SUFFIXES[type] ?? [''];
      if (family.endsWith('_total') && type === 'counter') bad.push(`counter family named with _total: ${family}`);
      if (!allowed.some((suffix) => sample[1] === family + suffix)) bad.push(`sample outside its family ${family} (${type}): ${line}`);
    } else bad.push(`not an OpenMetrics line: ${JSON.stringify(line)}`);
  }
  return bad;
}

/**
 * /metrics of the fixture trees, byte for byte as committed (timings normalized), and the same
 * samples in OpenMetrics. Set UPDATE_GOLDEN=1 to rewrite the goldens from their fixture trees.
 * promtool's lint of the same bodies: test/integration/server/golden.test.ts.
 */
for (const c of GOLDEN_CASES) {
  describe(c.title, async () => {
    const { text, openMetrics: om } = await goldenBodies(c);
    const body = normalizeExposition(text.body);

    it(`matches test/golden/${basename(c.golden)}`, () => {
      expect(text.status).toBe(200);
      if (process.env['UPDATE_GOLDEN'] === '1' || !existsSync(c.golden)) writeFileSync(c.golden, body);
      expect(body).toBe(readFileSync(c.golden, 'utf8'));
    });

    // promtool check metrics reads the text format only (Debian's 2.42 fails any OpenMetrics body),
    // so the OpenMetrics body is checked against the spec's ABNF here, and against the text body.
    it('serves the same samples in OpenMetrics 1.0, every line as its ABNF allows', () => {
      expect(om.contentType).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
      expect(openMetricsViolations(om.body)).toEqual([]);
      const samples = (b: string): string[] => b.split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.replace(/^(tcpstate_snapshot_age_seconds|tcpstate_collector_duration_seconds\S*) .*/, '$1'));
      // A gauge histogram is a histogram in the text format, whose _sum and _count OpenMetrics names _gsum and _gcount.
      const gauges = [...om.body.matchAll(/^# TYPE (\S+) gaugehistogram$/gm)].map((m) => m[1]!);
      for (const name of gauges) expect(text.body).toContain(`# TYPE ${name} histogram\n`);
      const asText = (line: string): string => gauges.reduce((l, name) => l.replace(new RegExp(`^${name}_g(sum|count)\\b`), `${name}_$1`), line);
      expect(samples(om.body).map(asText)).toEqual(samples(text.body));
    });
  });
}
