import { describe, expect, it } from 'vitest';
import { metricCatalog } from '../../../src/metrics/catalog.js';
import { buildExposition } from '../../../src/metrics/exposition.js';
import { buildApp } from '../../../src/server/app.js';
import { staleAfterMs } from '../../../src/snapshot/deadline.js';
import { readiness } from '../../../src/snapshot/readiness.js';
import type { Snapshot } from '../../../src/snapshot/snapshot.js';
import { BUILD_INFO } from '../../../src/version.js';
import { DEFAULT_COLLECTORS, silentLogger } from '../../helpers/collect.js';

const T0 = 1_700_000_000_000;
const snap = (status: Snapshot['status'], takenAtMs = T0): Snapshot => ({ sequence: 1, takenAtMs, durationSeconds: 0, intervalSeconds: 15, data: {}, status, stuckReads: [] });
const ok = { success: true, durationSeconds: 0 };

describe('readiness', () => {
  it('stale after max(interval, timeout) + timeout + interval: 45 s, three intervals, with the defaults', () => {
    expect(staleAfterMs(15_000, 15_000)).toBe(45_000);
    expect(staleAfterMs(500, 10_000)).toBe(20_500);
    expect(staleAfterMs(60_000, 1_000)).toBe(121_000);
  });

  const cases: Array<{ name: string; snapshot: Snapshot | undefined; nowMs: number; staleAfter?: number; want: { ready: boolean; reason: string } }> = [
    { name: 'no snapshot yet', snapshot: undefined, nowMs: T0, want: { ready: false, reason: 'not ready: no collection has finished yet' } },
    { name: 'a fresh snapshot with the socket table', snapshot: snap({ sockets: ok, sysctl: { success: false, durationSeconds: 0, error: 'x' } }), nowMs: T0 + 1_000, want: { ready: true, reason: 'ready' } },
    {
      name: 'the sockets collector timed out',
      snapshot: snap({ sockets: { success: false, durationSeconds: 1, timedOut: true, error: 'timeout: did not return within 1s (--collector.timeout)' }, sysctl: ok }),
      nowMs: T0,
      want: { ready: false, reason: 'not ready: the last cycle has no socket table (sockets collector: timeout: did not return within 1s (--collector.timeout))' },
    },
    { name: 'exactly at the limit', snapshot: snap({ sockets: ok }), nowMs: T0 + 45_000, staleAfter: 45_000, want: { ready: true, reason: 'ready' } },
    { name: 'past the limit', snapshot: snap({ sockets: ok }), nowMs: T0 + 45_001, staleAfter: 45_000, want: { ready: false, reason: 'not ready: the last snapshot is 45.0s old (stale after 45s)' } },
    // 15 s interval, default timeout 15 s: the same 45 s without being told.
    { name: 'the default limit from the snapshot interval', snapshot: snap({ sockets: ok }), nowMs: T0 + 46_000, want: { ready: false, reason: 'not ready: the last snapshot is 46.0s old (stale after 45s)' } },
    { name: 'no sockets collector (--no-collector.sockets): fresh is enough', snapshot: snap({ snmp: ok }), nowMs: T0, want: { ready: true, reason: 'ready' } },
  ];
  for (const c of cases) it(c.name, () => expect(readiness(c.snapshot, c.nowMs, c.staleAfter)).toEqual(c.want));

  it('/readyz answers 200, then 503 with the reason on one line once the snapshot goes stale', async () => {
    let now = T0;
    const s = snap({ sockets: ok });
    const snapshots = { latest: () => s };
    const exposition = buildExposition(metricCatalog(BUILD_INFO, DEFAULT_COLLECTORS), snapshots, { processMetrics: false, now: () => now });
    const app = buildApp({ exposition, collectors: DEFAULT_COLLECTORS, snapshots, telemetryPath: '/metrics', build: BUILD_INFO, logger: silentLogger, staleAfterMs: 2_000, now: () => now });
    const fresh = await app.inject({ url: '/readyz' });
    expect([fresh.statusCode, fresh.body]).toEqual([200, 'ready\n']);
    now += 2_500;
    const stale = await app.inject({ url: '/readyz' });
    expect([stale.statusCode, stale.body]).toEqual([503, 'not ready: the last snapshot is 2.5s old (stale after 2s)\n']);
  });
});
