import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';
import { metricCatalog } from '../../src/metrics/catalog.js';
import { buildExposition } from '../../src/metrics/exposition.js';
import { buildApp } from '../../src/server/app.js';
import { BUILD_INFO } from '../../src/version.js';
import { fixturePoller, silentLogger } from '../helpers/collect.js';
import { normalizeExposition } from '../helpers/exposition.js';
import { fixture, GOLDEN } from '../helpers/paths.js';
import { haveTool } from '../helpers/tools.js';



/** Set UPDATE_GOLDEN=1 to rewrite test/golden/metrics.txt from test/fixtures/proc. */
describe('golden /metrics from the fixture tree', async () => {
  const poller = fixturePoller(fixture('proc'), { maxServerPorts: 50, topClientPorts: 20, pinnedPorts: [9100] });
  await poller.collectOnce();
  const exposition = buildExposition(metricCatalog(BUILD_INFO), poller, { processMetrics: false });
  const app = buildApp({ exposition, snapshots: poller, telemetryPath: '/metrics', build: BUILD_INFO, logger: silentLogger });
  const res = await app.inject({ method: 'GET', url: '/metrics' });
  const body = normalizeExposition(res.body);

  it('matches test/golden/metrics.txt', () => {
    expect(res.statusCode).toBe(200);
    if (process.env['UPDATE_GOLDEN'] === '1' || !existsSync(GOLDEN)) writeFileSync(GOLDEN, body);
    expect(body).toBe(readFileSync(GOLDEN, 'utf8'));
  });

  it('passes promtool check metrics', () => {
    if (!haveTool('promtool')) return;
    const r = spawnSync('promtool', ['check', 'metrics'], { input: res.body, encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
