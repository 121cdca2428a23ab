import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { CollectorName } from '../../../src/collectors/index.js';
import type { SnapshotPoller } from '../../../src/snapshot/poller.js';
import { describe, expect, it } from 'vitest';
import { metricCatalog } from '../../../src/metrics/catalog.js';
import { buildExposition } from '../../../src/metrics/exposition.js';
import { buildApp } from '../../../src/server/app.js';
import { BUILD_INFO } from '../../../src/version.js';
import { ALL_COLLECTORS, DEFAULT_COLLECTORS, fixturePoller, silentLogger } from '../../helpers/collect.js';
import { normalizeExposition } from '../../helpers/exposition.js';
import { fixture, GOLDEN, GOLDEN_ALL } from '../../helpers/paths.js';
import { haveTool } from '../../helpers/tools.js';



async function goldenCase(golden: string, poller: SnapshotPoller, enabled: ReadonlySet<CollectorName>): Promise<void> {
  await poller.collectOnce();
  const exposition = buildExposition(metricCatalog(BUILD_INFO, enabled), poller, { processMetrics: false });
  const app = buildApp({ exposition, collectors: enabled, snapshots: poller, telemetryPath: '/metrics', build: BUILD_INFO, logger: silentLogger });
  const res = await app.inject({ method: 'GET', url: '/metrics' });
  const body = normalizeExposition(res.body);

  it(`matches test/golden/${basename(golden)}`, () => {
    expect(res.statusCode).toBe(200);
    if (process.env['UPDATE_GOLDEN'] === '1' || !existsSync(golden)) writeFileSync(golden, body);
    expect(body).toBe(readFileSync(golden, 'utf8'));
  });

  it('passes promtool check metrics', () => {
    if (!haveTool('promtool')) return;
    const r = spawnSync('promtool', ['check', 'metrics'], { input: res.body, encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  // promtool check metrics reads the text format only (Debian's 2.42 fails any OpenMetrics body),
  // so the OpenMetrics body is checked against the spec's ABNF here, and against the text body.
  const om = await app.inject({ method: 'GET', url: '/metrics', headers: { accept: 'application/openmetrics-text; version=1.0.0' } });
  it('serves the same samples in OpenMetrics 1.0, every line as its ABNF allows', () => {
    expect(om.headers['content-type']).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    expect(openMetricsViolations(om.body)).toEqual([]);
    const samples = (body: string): string[] => body.split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.replace(/^(tcpstate_snapshot_age_seconds|tcpstate_collector_duration_seconds\S*) .*/, '$1'));
    expect(samples(om.body)).toEqual(samples(res.body));
  });
}

const ESCAPED = String.raw`(?:[^"\\\n]|\\[n"\\])*`;
const LABELS = String.raw`(?:\{[a-zA-Z_][a-zA-Z0-9_]*="${ESCAPED}"(?:,[a-zA-Z_][a-zA-Z0-9_]*="${ESCAPED}")*\})?`;
const NUMBER = String.raw`(?:[+-]?\d+(?:\.\d*)?(?:e[+-]?\d+)?|[+-]?\d*\.\d+(?:e[+-]?\d+)?|[+-]?Inf|NaN)`;

/**
 * Lines of an OpenMetrics 1.0 body that its ABNF (docs/specs/om/open_metrics_spec.md) or its
 * rules refuse: HELP text an escaped-string; TYPE a known type; samples named after the family
 * before them (a counter's family without `_total`, its samples with it); no blank line; one
 * `# EOF` at the very end.
 */
function openMetricsViolations(body: string): string[] {
  const bad: string[] = [];
  const lines = body.split('\n');
  if (lines.pop() !== '' || lines.pop() !== '# EOF') bad.push('does not end with "# EOF\\n"');
  let family = '';
  let type = '';
  for (const line of lines) {
    const help = new RegExp(`^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (${ESCAPED})$`).exec(line);
    const typed = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram)$/.exec(line);
    const sample = new RegExp(`^([a-zA-Z_:][a-zA-Z0-9_:]*)${LABELS} ${NUMBER}$`).exec(line);
    if (help) family = help[1]!;
    else if (typed && typed[1] === family) type = typed[2]!;
    else if (sample) {
      const allowed = type === 'counter' ? ['_total'] : type === 'histogram' ? ['_bucket', '_sum', '_count'] : [''];
      if (family.endsWith('_total') && type === 'counter') bad.push(`counter family named with _total: ${family}`);
      if (!allowed.some((suffix) => sample[1] === family + suffix)) bad.push(`sample outside its family ${family} (${type}): ${line}`);
    } else bad.push(`not an OpenMetrics line: ${JSON.stringify(line)}`);
  }
  return bad;
}

/** Set UPDATE_GOLDEN=1 to rewrite the goldens from their fixture trees. */
describe('golden /metrics from test/fixtures/proc, default collectors', async () => {
  await goldenCase(GOLDEN, fixturePoller(fixture('proc'), { maxServerPorts: 50, topClientPorts: 20, pinnedPorts: [9100] }), DEFAULT_COLLECTORS);
});

describe('golden /metrics from test/fixtures/proc-pods, every collector', async () => {
  await goldenCase(GOLDEN_ALL, fixturePoller(fixture('proc-pods'), { maxServerPorts: 50, topClientPorts: 20, pinnedPorts: [] }, silentLogger, ALL_COLLECTORS), ALL_COLLECTORS.enabled);
});
