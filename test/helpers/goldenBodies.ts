import type { CollectorName } from '../../src/collectors/index.js';
import { metricCatalog } from '../../src/metrics/catalog.js';
import { buildExposition } from '../../src/metrics/exposition.js';
import { buildApp } from '../../src/server/app.js';
import type { SnapshotPoller } from '../../src/snapshot/poller.js';
import { BUILD_INFO } from '../../src/version.js';
import { ALL_COLLECTORS, DEFAULT_COLLECTORS, fixturePoller, silentLogger } from './collect.js';
import { fixture, GOLDEN, GOLDEN_ALL } from './paths.js';

/** A golden file and the fixture tree and collectors whose /metrics it holds. */
export interface GoldenCase {
  title: string;
  /** Absolute path of the golden (test/golden/*.txt). */
  golden: string;
  poller: () => SnapshotPoller;
  enabled: ReadonlySet<CollectorName>;
}

export const GOLDEN_CASES: readonly GoldenCase[] = [
  {
    title: 'golden /metrics from test/fixtures/proc, default collectors',
    golden: GOLDEN,
    poller: () => fixturePoller(fixture('proc'), { maxServerPorts: 50, topClientPorts: 20, pinnedPorts: [9100] }),
    enabled: DEFAULT_COLLECTORS,
  },
  {
    title: 'golden /metrics from test/fixtures/proc-pods, every collector',
    golden: GOLDEN_ALL,
    poller: () => fixturePoller(fixture('proc-pods'), { maxServerPorts: 50, topClientPorts: 20, pinnedPorts: [] }, silentLogger, ALL_COLLECTORS),
    enabled: ALL_COLLECTORS.enabled,
  },
];

export interface ServedBody {
  status: number;
  contentType: string | undefined;
  body: string;
}

/** One collection of the case's tree, served by the app in-process: /metrics in the text format and in OpenMetrics 1.0. */
export async function goldenBodies(c: GoldenCase): Promise<{ text: ServedBody; openMetrics: ServedBody }> {
  const poller = c.poller();
  await poller.collectOnce();
  const exposition = buildExposition(metricCatalog(BUILD_INFO, c.enabled), poller, { processMetrics: false });
  const app = buildApp({ exposition, collectors: c.enabled, snapshots: poller, telemetryPath: '/metrics', build: BUILD_INFO, logger: silentLogger });
  const served = async (headers: Record<string, string>): Promise<ServedBody> => {
    const res = await app.inject({ method: 'GET', url: '/metrics', headers });
    const type = res.headers['content-type'];
    return { status: res.statusCode, contentType: typeof type === 'string' ? type : undefined, body: res.body };
  };
  return { text: await served({}), openMetrics: await served({ accept: 'application/openmetrics-text; version=1.0.0' }) };
}
