import { Agent } from 'node:http';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startExporter } from '../../helpers/exporterProcess.js';
import { scrape } from '../../helpers/scrapeOutcome.js';

/** The real binary under SIGTERM (the app closed in-process, scrapes in flight: test/unit/server/closeDrainsScrapes.test.ts). */
describe('graceful shutdown', () => {
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
