import { Agent } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../../src/server/app.js';
import { BUILD_INFO } from '../../../src/version.js';
import { silentLogger } from '../../helpers/collect.js';
import { scrape } from '../../helpers/scrapeOutcome.js';

/** The app in-process on loopback, closed as SIGTERM closes it (the real binary under SIGTERM: test/integration/cli/gracefulShutdown.test.ts). */
describe('graceful shutdown', () => {
  it('finishes every scrape in flight when the server is asked to close, and accepts no new one', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    let rendering = 0;
    const exposition = {
      render: async () => {
        rendering++;
        await gate;
        return { contentType: 'text/plain; version=0.0.4; charset=utf-8', body: Buffer.from('# a body in two parts\nx 1\n') };
      },
    };
    const app = buildApp({ exposition, collectors: new Set(), snapshots: { latest: () => undefined }, telemetryPath: '/metrics', build: BUILD_INFO, logger: silentLogger, maxRequests: 0 });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const agent = new Agent({ keepAlive: false, maxSockets: 64 });
    const inFlight = Array.from({ length: 20 }, () => scrape(url, agent));
    while (rendering < 20) await new Promise((r) => setTimeout(r, 5));
    const closed = app.close(); // what SIGTERM runs
    const late = await scrape(url, agent);
    expect(late.started && late.status !== 503).toBe(false);
    release();
    await closed;
    for (const o of await Promise.all(inFlight)) expect(o).toEqual({ started: true, status: 200, body: '# a body in two parts\nx 1\n' });
    agent.destroy();
  });
});
