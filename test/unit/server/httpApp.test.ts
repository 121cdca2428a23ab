import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { metricCatalog } from '../../../src/metrics/catalog.js';
import { buildExposition } from '../../../src/metrics/exposition.js';
import { buildApp } from '../../../src/server/app.js';
import { acceptsGzip, wantsOpenMetrics } from '../../../src/server/negotiate.js';
import type { Snapshot, SnapshotReader } from '../../../src/snapshot/snapshot.js';
import { BUILD_INFO } from '../../../src/version.js';
import { fixturePoller, silentLogger, DEFAULT_COLLECTORS } from '../../helpers/collect.js';
import { samplesOf } from '../../helpers/exposition.js';
import { fixture } from '../../helpers/paths.js';

function appFor(snapshots: SnapshotReader, now?: () => number) {
  const exposition = buildExposition(metricCatalog(BUILD_INFO, DEFAULT_COLLECTORS), snapshots, { processMetrics: true, ...(now ? { now } : {}) });
  return buildApp({ exposition, collectors: DEFAULT_COLLECTORS, snapshots, telemetryPath: '/metrics', build: BUILD_INFO, logger: silentLogger });
}

/** The Fastify app in-process (app.inject) over fixture snapshots: formats, compression, health, limits, routes. Its module footprint in a fresh process: test/integration/server/appFootprint.test.ts. */
describe('HTTP app', async () => {
  const poller = fixturePoller(fixture('proc'));
  const snapshot = await poller.collectOnce();
  const app = appFor(poller);

  it('serves the classic text format by default', async () => {
    const res = await app.inject({ url: '/metrics' });
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(res.body).toContain('tcpstate_tcp_active_opens_total ');
    expect(res.body).toContain('process_cpu_user_seconds_total ');
    expect(res.body).not.toContain('# EOF');
  });

  it('serves OpenMetrics when Prometheus asks for it', async () => {
    const accept = 'application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.1';
    const res = await app.inject({ url: '/metrics', headers: { accept } });
    expect(res.headers['content-type']).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    expect(res.body).toMatch(/# TYPE tcpstate_tcp_active_opens counter\ntcpstate_tcp_active_opens_total \d+/);
    expect(res.body.endsWith('# EOF\n')).toBe(true);
    expect(res.body.match(/^# EOF$/gm)).toHaveLength(1);
    expect(res.body).toMatch(/^process_cpu_user_seconds_total \d/m);
    // The classic format must be unaffected by OpenMetrics having been rendered.
    const again = await app.inject({ url: '/metrics' });
    expect(again.body).toContain('# TYPE tcpstate_tcp_active_opens_total counter');
  });

  it('gzips when the scraper accepts it: the whole body as one gzip member', async () => {
    const res = await app.inject({ url: '/metrics', headers: { 'accept-encoding': 'gzip, deflate' } });
    expect(res.headers['content-encoding']).toBe('gzip');
    const text = gunzipSync(res.rawPayload).toString();
    expect(text).toContain('tcpstate_sockets{family="ipv4",state="listen"} 3');
    // One member: its ISIZE trailer (RFC 1952, the last 4 bytes) is the length of the whole body.
    expect(res.rawPayload.readUInt32LE(res.rawPayload.length - 4)).toBe(Buffer.byteLength(text));
  });

  it('serves the same values the snapshot holds', async () => {
    const samples = samplesOf((await app.inject({ url: '/metrics' })).body);
    expect(samples.get('tcpstate_port_sockets{role="server",port="8080",state="close_wait"}')).toBe(1);
    expect(samples.get('tcpstate_listen_queue_length{port="8080"}')).toBe(4);
    expect(samples.get('tcpstate_keepalive_dead_peer_detection_seconds')).toBe(7200 + 75 * 9);
    expect(samples.get('tcpstate_collector_success{collector="sockets"}')).toBe(1);
    expect(samples.get('tcpstate_snapshot_timestamp_seconds')).toBe(snapshot.takenAtMs / 1000);
  });

  it('answers health, readiness and the landing page', async () => {
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(200);
    const landing = await app.inject({ url: '/' });
    expect(landing.headers['content-type']).toMatch(/text\/html/);
    expect(landing.body).toContain('href="/metrics"');
    expect(landing.body).toContain(BUILD_INFO.version);
    expect((await app.inject({ url: '/debug' })).statusCode).toBe(404);
  });
});

describe('OpenMetrics body', () => {
  it('has no blank line and one # EOF, with or without process metrics', async () => {
    const poller = fixturePoller(fixture('proc'));
    await poller.collectOnce();
    for (const processMetrics of [false, true]) {
      const exposition = buildExposition(metricCatalog(BUILD_INFO, DEFAULT_COLLECTORS), poller, { processMetrics });
      const app = buildApp({ exposition, collectors: DEFAULT_COLLECTORS, snapshots: poller, telemetryPath: '/metrics', build: BUILD_INFO, logger: silentLogger });
      const res = await app.inject({ url: '/metrics', headers: { accept: 'application/openmetrics-text; version=1.0.0' } });
      expect(res.body.split('\n').slice(0, -1)).not.toContain('');
      expect(res.body.match(/^# EOF$/gm)).toHaveLength(1);
    }
  });
});

describe('process metrics', () => {
  const burn = (): number => {
    let spin = 0;
    for (let i = 0; i < 2e7; i++) spin += i; // burn CPU so a fresh read differs
    return spin;
  };
  it('are read at the first scrape of each snapshot and shared by its later scrapes, with the snapshot age of each scrape', async () => {
    let now = 5_000_000;
    let s: Snapshot = { sequence: 1, takenAtMs: now, durationSeconds: 0, intervalSeconds: 15, stuckReads: [], data: {}, status: {} };
    const app = appFor({ latest: () => s }, () => now);
    const cpu = async (): Promise<[number | undefined, number | undefined]> => {
      const m = samplesOf((await app.inject({ url: '/metrics' })).body);
      return [m.get('process_cpu_user_seconds_total'), m.get('tcpstate_snapshot_age_seconds')];
    };
    const [cpu1, age1] = await cpu();
    expect(burn()).toBeGreaterThan(0);
    now += 500;
    const [cpu2, age2] = await cpu();
    expect(cpu2).toBe(cpu1); // the same snapshot: the same read
    expect([age1, age2]).toEqual([0, 0.5]);
    s = { ...s, sequence: 2, takenAtMs: now };
    const [cpu3] = await cpu();
    expect(cpu3).toBeGreaterThan(cpu1!); // a new snapshot: a fresh read
  });

  it('are read at every scrape before the first snapshot', async () => {
    const app = appFor({ latest: () => undefined });
    const cpu = async (): Promise<number | undefined> => samplesOf((await app.inject({ url: '/metrics' })).body).get('process_cpu_user_seconds_total');
    const cpu1 = await cpu();
    expect(burn()).toBeGreaterThan(0);
    expect(await cpu()).toBeGreaterThan(cpu1!);
  });
});

describe('before the first collection', () => {
  const empty: SnapshotReader = { latest: () => undefined };
  const app = appFor(empty);
  it('is live but not ready, and serves only self and process metrics', async () => {
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
    const ready = await app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    const metrics = await app.inject({ url: '/metrics' });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.body).not.toMatch(/^tcpstate_sockets\{/m);
    expect(metrics.body).toMatch(/^tcpstate_build_info\{/m);
  });
});

describe('snapshot age', () => {
  it('grows with scrape time while the snapshot stays the same', async () => {
    const s: Snapshot = { sequence: 1, takenAtMs: 1_000_000, durationSeconds: 0.01, intervalSeconds: 15, stuckReads: [], data: {}, status: {} };
    let now = 1_000_000 + 2_000;
    const app = appFor({ latest: () => s }, () => now);
    expect(samplesOf((await app.inject({ url: '/metrics' })).body).get('tcpstate_snapshot_age_seconds')).toBe(2);
    now += 40_000;
    expect(samplesOf((await app.inject({ url: '/metrics' })).body).get('tcpstate_snapshot_age_seconds')).toBe(42);
  });

  it('drops a failed collector\'s series instead of serving old values', async () => {
    let current: Snapshot = { sequence: 1, takenAtMs: 0, durationSeconds: 0, intervalSeconds: 15, stuckReads: [], data: { snmp: { ActiveOpens: 5 } }, status: { snmp: { success: true, durationSeconds: 0 } } };
    const app = appFor({ latest: () => current });
    expect(samplesOf((await app.inject({ url: '/metrics' })).body).get('tcpstate_tcp_active_opens_total')).toBe(5);
    current = { sequence: 2, takenAtMs: 1, durationSeconds: 0, intervalSeconds: 15, stuckReads: [], data: {}, status: { snmp: { success: false, durationSeconds: 0, error: 'x' } } };
    const after = samplesOf((await app.inject({ url: '/metrics' })).body);
    expect(after.has('tcpstate_tcp_active_opens_total')).toBe(false);
    expect(after.get('tcpstate_collector_success{collector="snmp"}')).toBe(0);
  });
});

describe('content negotiation', () => {
  const cases: Array<[string | undefined, boolean]> = [
    [undefined, false],
    ['text/plain', false],
    ['*/*', false],
    ['application/openmetrics-text', true],
    ['application/openmetrics-text;version=1.0.0', true],
    ['application/openmetrics-text;version=0.0.1', false],
    ['text/plain;q=0.9,application/openmetrics-text;q=0.5', false],
    ['application/openmetrics-text;version=1.0.0;q=0', false],
  ];
  for (const [accept, want] of cases) it(`Accept: ${accept ?? '(none)'} -> ${want ? 'OpenMetrics' : 'text'}`, () => expect(wantsOpenMetrics(accept)).toBe(want));
  it('gzip only when accepted with q > 0', () => {
    expect(acceptsGzip('gzip;q=0')).toBe(false);
    expect(acceptsGzip('br, gzip;q=0.5')).toBe(true);
    expect(acceptsGzip(undefined)).toBe(false);
  });
});

describe('--web.max-requests', () => {
  it('answers 503 at once beyond the limit, and serves again when a request finishes', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    let renders = 0;
    const slow = {
      render: async () => {
        if (renders++ === 0) await gate; // the first scrape hangs until released
        return { contentType: 'text/plain; version=0.0.4; charset=utf-8', body: 'x 1\n' };
      },
    };
    const app = buildApp({ exposition: slow, collectors: DEFAULT_COLLECTORS, snapshots: { latest: () => undefined }, telemetryPath: '/metrics', build: BUILD_INFO, logger: silentLogger, maxRequests: 1 });
    const first = app.inject({ url: '/metrics' });
    await new Promise((r) => setTimeout(r, 20));
    const second = await app.inject({ url: '/metrics' });
    expect(second.statusCode).toBe(503);
    expect(second.headers['retry-after']).toBe('1');
    release();
    expect((await first).statusCode).toBe(200);
    expect((await app.inject({ url: '/metrics' })).statusCode).toBe(200);
  });
});

describe('routes', () => {
  it('serve nothing but metrics, health and the landing page', async () => {
    const app = appFor({ latest: () => undefined });
    for (const url of ['/debug/pprof', '/metrics/../etc/passwd', '/admin', '/.env']) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(404);
      expect(res.body).toBe('not found\n');
    }
    expect((await app.inject({ method: 'POST', url: '/metrics', payload: 'x'.repeat(4096) })).statusCode).toBe(404);
  });
});
