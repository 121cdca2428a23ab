import { Counter, Gauge, Histogram, Registry, type OpenMetricsContentType, type PrometheusContentType } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { registryFamilies } from '../../../src/metrics/processMetrics.js';
import { OPENMETRICS_EOF, writeFamily, type ExpositionFormat, type WrittenFamily } from '../../../src/metrics/textFormat.js';

const family = (over: Partial<WrittenFamily>): WrittenFamily => ({ name: 'x_things', help: 'Things.', type: 'gauge', samples: [], ...over });
const gaugeHistogramSamples: WrittenFamily['samples'] = [
  { suffix: '_bucket', labels: { p: 'a', le: 0.5 }, value: 1 },
  { suffix: '_bucket', labels: { p: 'a', le: 1 }, value: 2 },
  { suffix: '_bucket', labels: { p: 'a', le: Infinity }, value: 2 },
  { suffix: '_sum', labels: { p: 'a' }, value: 1.2 },
  { suffix: '_count', labels: { p: 'a' }, value: 2 },
];

describe('writeFamily', () => {
  it.each<[string, ExpositionFormat, WrittenFamily, string]>([
    ['a gauge without samples keeps HELP and TYPE; text ends with a blank line', 'prometheus', family({}), '# HELP x_things Things.\n# TYPE x_things gauge\n\n'],
    ['OpenMetrics has no blank line', 'openmetrics', family({}), '# HELP x_things Things.\n# TYPE x_things gauge\n'],
    [
      'label values escape backslash, double quote and line feed, in order given',
      'prometheus',
      family({ samples: [{ labels: { b: 'a\\b', a: 'say "hi"\nthen go' }, value: 1 }] }),
      '# HELP x_things Things.\n# TYPE x_things gauge\nx_things{b="a\\\\b",a="say \\"hi\\"\\nthen go"} 1\n\n',
    ],
    ['text HELP escapes backslash and line feed, not double quotes', 'prometheus', family({ help: 'a "b" c\\d\ne' }), '# HELP x_things a "b" c\\\\d\\ne\n# TYPE x_things gauge\n\n'],
    ['OpenMetrics HELP escapes double quotes too (escaped-string)', 'openmetrics', family({ help: 'a "b" c\\d\ne' }), '# HELP x_things a \\"b\\" c\\\\d\\ne\n# TYPE x_things gauge\n'],
    [
      'NaN and the infinities as the formats spell them',
      'prometheus',
      family({ samples: [{ labels: { v: 'nan' }, value: NaN }, { labels: { v: 'inf' }, value: Infinity }, { labels: { v: '-inf' }, value: -Infinity }, { labels: { v: 'small' }, value: 1e-7 }] }),
      '# HELP x_things Things.\n# TYPE x_things gauge\nx_things{v="nan"} NaN\nx_things{v="inf"} +Inf\nx_things{v="-inf"} -Inf\nx_things{v="small"} 1e-7\n\n',
    ],
    ['a counter keeps _total everywhere in text', 'prometheus', family({ name: 'x_opens_total', type: 'counter', samples: [{ labels: {}, value: 3 }] }), '# HELP x_opens_total Things.\n# TYPE x_opens_total counter\nx_opens_total 3\n\n'],
    ['OpenMetrics names the counter family without _total, its samples with it', 'openmetrics', family({ name: 'x_opens_total', type: 'counter', samples: [{ labels: {}, value: 3 }] }), '# HELP x_opens Things.\n# TYPE x_opens counter\nx_opens_total 3\n'],
    [
      'OpenMetrics writes histogram le values as canonical floats',
      'openmetrics',
      family({ name: 'x_seconds', type: 'histogram', samples: [{ suffix: '_bucket', labels: { le: 0.5 }, value: 1 }, { suffix: '_bucket', labels: { le: 1 }, value: 2 }, { suffix: '_bucket', labels: { le: '+Inf' }, value: 2 }, { suffix: '_sum', labels: {}, value: 1.2 }, { suffix: '_count', labels: {}, value: 2 }] }),
      '# HELP x_seconds Things.\n# TYPE x_seconds histogram\nx_seconds_bucket{le="0.5"} 1\nx_seconds_bucket{le="1.0"} 2\nx_seconds_bucket{le="+Inf"} 2\nx_seconds_sum 1.2\nx_seconds_count 2\n',
    ],
    [
      'OpenMetrics writes a gauge histogram as gaugehistogram, its sum and count as _gsum and _gcount, canonical le, no _created',
      'openmetrics',
      family({ name: 'x_seconds', type: 'gaugehistogram', samples: gaugeHistogramSamples }),
      '# HELP x_seconds Things.\n# TYPE x_seconds gaugehistogram\nx_seconds_bucket{p="a",le="0.5"} 1\nx_seconds_bucket{p="a",le="1.0"} 2\nx_seconds_bucket{p="a",le="+Inf"} 2\nx_seconds_gsum{p="a"} 1.2\nx_seconds_gcount{p="a"} 2\n',
    ],
    [
      'the text format, without a gauge histogram type, writes one as the histogram it wrote before (_sum, _count)',
      'prometheus',
      family({ name: 'x_seconds', type: 'gaugehistogram', samples: gaugeHistogramSamples }),
      '# HELP x_seconds Things.\n# TYPE x_seconds histogram\nx_seconds_bucket{p="a",le="0.5"} 1\nx_seconds_bucket{p="a",le="1"} 2\nx_seconds_bucket{p="a",le="+Inf"} 2\nx_seconds_sum{p="a"} 1.2\nx_seconds_count{p="a"} 2\n\n',
    ],
  ])('%s', (_name, format, f, want) => {
    expect(writeFamily(format, f)).toBe(want);
  });
});

function openMetricsRegistry(): Registry<OpenMetricsContentType> {
  const r = new Registry<OpenMetricsContentType>();
  r.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  return r;
}

/** The same metrics and observations, in `r`. */
function withDemoMetrics<R extends Registry<PrometheusContentType> | Registry<OpenMetricsContentType>>(r: R): R {
  const c = new Counter({ name: 'demo_requests_total', help: 'Requests, by path (a\\b,\nnew line).', labelNames: ['path', 'code'], registers: [r] });
  c.inc({ path: '/a"b\\c\nd', code: '200' }, 3);
  c.inc({ path: '/', code: '500' });
  const g = new Gauge({ name: 'demo_temperature_celsius', help: 'A gauge.', registers: [r] });
  g.set(-12.5);
  const h = new Histogram({ name: 'demo_latency_seconds', help: 'A histogram.', labelNames: ['kind'], buckets: [0.005, 0.25, 2.5], registers: [r] });
  for (const v of [0.001, 0.1, 0.3, 7]) h.observe({ kind: 'minor' }, v);
  h.observe({ kind: 'major' }, 0.2);
  return r;
}

describe('prom-client metrics through getMetricsAsJSON() and writeFamily', () => {
  it('write the bytes prom-client writes itself, in the text format', async () => {
    const r = withDemoMetrics(new Registry());
    const ours = (await registryFamilies(r)).map((f) => writeFamily('prometheus', f)).join('');
    // prom-client joins families with a blank line; ours ends every family with one.
    expect(ours).toBe(`${await r.metrics()}\n`);
  });

  it('write the bytes prom-client writes itself, in OpenMetrics (no integer le, no double quote in HELP here)', async () => {
    const ours = (await registryFamilies(withDemoMetrics(openMetricsRegistry()))).map((f) => writeFamily('openmetrics', f)).join('') + OPENMETRICS_EOF;
    expect(ours).toBe(await withDemoMetrics(openMetricsRegistry()).metrics());
    expect(ours).toContain('# TYPE demo_requests counter\ndemo_requests_total{path=');
  });
});
