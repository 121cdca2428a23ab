import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { CollectorName } from '../../src/collectors/index.js';
import type { SnapshotPoller } from '../../src/snapshot/poller.js';
import { describe, expect, it } from 'vitest';
import { metricCatalog } from '../../src/metrics/catalog.js';
import { buildExposition } from '../../src/metrics/exposition.js';
import { buildApp } from '../../src/server/app.js';
import { BUILD_INFO } from '../../src/version.js';
import { ALL_COLLECTORS, DEFAULT_COLLECTORS, fixturePoller, silentLogger } from '../helpers/collect.js';
import { normalizeExposition } from '../helpers/exposition.js';
import { fixture, GOLDEN, GOLDEN_ALL } from '../helpers/paths.js';
import { haveTool } from '../helpers/tools.js';



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
}

/** Set UPDATE_GOLDEN=1 to rewrite the goldens from their fixture trees. */
describe('golden /metrics from test/fixtures/proc, default collectors', async () => {
  await goldenCase(GOLDEN, fixturePoller(fixture('proc'), { maxServerPorts: 50, topClientPorts: 20, pinnedPorts: [9100] }), DEFAULT_COLLECTORS);
});

describe('golden /metrics from test/fixtures/proc-pods, every collector', async () => {
  await goldenCase(GOLDEN_ALL, fixturePoller(fixture('proc-pods'), { maxServerPorts: 50, topClientPorts: 20, pinnedPorts: [] }, silentLogger, ALL_COLLECTORS), ALL_COLLECTORS.enabled);
});
