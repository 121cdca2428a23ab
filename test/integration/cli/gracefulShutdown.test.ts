import { request, Agent } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../../src/server/app.js';
import { BUILD_INFO } from '../../../src/version.js';
import { silentLogger } from '../../helpers/collect.js';
import { startExporter } from '../../helpers/exporterProcess.js';

interface Outcome {
  /** Whether a response (status line) arrived before anything went wrong. */
  started: boolean;
  status?: number;
  body?: string;
  error?: string;
}

/** One GET on a connection of its own; resolves however it ends. */
function scrape(url: string, agent: Agent, onStart: () => void = () => undefined): Promise<Outcome> {
  return new Promise((resolve) => {
    let started = false;
    const req = request(`${url}/metrics`, { agent }, (res) => {
      started = true;
      onStart();
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ started, status: res.statusCode!, body }));
      res.on('aborted', () => resolve({ started, error: 'aborted mid-response' }));
    });
    req.on('error', (err) => resolve({ started, error: (err as NodeJS.ErrnoException).code ?? err.message }));
    req.end();
  });
}

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

  it('under load, the real binary exits 0 and never cuts a response short', async () => {
    const exporter = await startExporter(['--collector.interval=200ms']);
    const agent = new Agent({ keepAlive: false, maxSockets: 64 });
    await scrape(exporter.url, agent);
    // Signal while scrapes are being answered: once the first few responses have begun.
    let begun = 0;
    let fewBegun: () => void = () => undefined;
    const signal = new Promise<void>((r) => (fewBegun = r));
    const inFlight = Array.from({ length: 60 }, () =>
      scrape(exporter.url, agent, () => {
        if (++begun === 3) fewBegun();
      }),
    );
    await signal;
    const code = await exporter.stop('SIGTERM');
    const outcomes = await Promise.all(inFlight);
    expect(code).toBe(0);
    for (const o of outcomes) {
      if (o.started) expect(o.status === 503 || (o.status === 200 && o.body!.includes('tcpstate_build_info')), JSON.stringify(o).slice(0, 200)).toBe(true);
      // Not yet accepted when the listener closed: refused, or reset from the kernel's accept queue.
      else expect(['ECONNREFUSED', 'ECONNRESET']).toContain(o.error);
    }
    expect(outcomes.filter((o) => o.status === 200).length).toBeGreaterThan(0);
    agent.destroy();
  }, 30_000);

  it('a request that never completes cannot hold shutdown up: the process ends when the 10 s grace period is over (exit 1, said in the log)', async () => {
    const exporter = await startExporter(['--collector.interval=1s']);
    const { hostname, port } = new URL(exporter.url);
    // Half a request: the server waits for the rest (its request timeout is 30 s), so close() cannot finish.
    const stalled = connect({ host: hostname, port: Number(port) });
    stalled.on('error', () => undefined);
    await new Promise<void>((r) => stalled.once('connect', () => r()));
    stalled.write('GET /metrics HTTP/1.1\r\nHost: x\r\n');
    await new Promise((r) => setTimeout(r, 200));
    const code = await Promise.race([exporter.stop('SIGTERM'), new Promise<string>((r) => setTimeout(() => r('still running 25 s after SIGTERM'), 25_000))]);
    stalled.destroy();
    expect(code).toBe(1);
    expect(exporter.stderr()).toMatch(/"grace_ms":10000,"msg":"shutdown grace period over; exiting"/);
  }, 40_000);
});
