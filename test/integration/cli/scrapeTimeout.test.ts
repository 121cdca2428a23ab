import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startExporter, type RunningExporter } from '../../helpers/exporterProcess.js';
import { fixture } from '../../helpers/paths.js';

/**
 * A first collection that cannot finish until the test lets it: the fixture tree with net/snmp
 * replaced by a FIFO, which the snmp collector's read blocks on (on a libuv pool thread; the
 * event loop keeps serving) until the test writes the file's content into it.
 */
describe('a scrape before the first collection has finished', () => {
  let dir: string;
  let snmp: string;
  let released = false;
  let exporter: RunningExporter;
  const release = async (): Promise<void> => {
    if (released) return;
    released = true;
    await writeFile(join(dir, 'net', 'snmp'), snmp);
  };
  const scrape = (headers: Record<string, string> = {}) => fetch(`${exporter.url}/metrics`, { headers });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tcpstate-slowproc-'));
    cpSync(fixture('proc'), dir, { recursive: true });
    snmp = readFileSync(join(dir, 'net', 'snmp'), 'utf8');
    rmSync(join(dir, 'net', 'snmp'));
    expect(spawnSync('mkfifo', [join(dir, 'net', 'snmp')]).status).toBe(0);
    exporter = await startExporter([`--path.procfs=${dir}`, '--collector.interval=1h', '--log.level=debug']);
  }, 30_000);

  afterAll(async () => {
    await release(); // a blocked collection would hold the shutdown
    await exporter?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('without the header (curl), is answered at once with the exporter\'s own metrics, as before', async () => {
    expect((await fetch(`${exporter.url}/readyz`)).status).toBe(503);
    const res = await scrape();
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toMatch(/^tcpstate_build_info\{/m);
    expect(body).not.toMatch(/^tcpstate_sockets\{/m);
  });

  it('with a timeout too short for the collection, is answered before the deadline with what there is', async () => {
    const res = await scrape({ 'X-Prometheus-Scrape-Timeout-Seconds': '0.6' });
    expect(res.status).toBe(200);
    expect(await res.text()).not.toMatch(/^tcpstate_sockets\{/m);
    expect(exporter.stderr()).toMatch(/first collection still running at the scrape deadline/);
  });

  it('with Prometheus\' timeout, waits for the first collection and serves it', async () => {
    let answered = false;
    const pending = scrape({ 'X-Prometheus-Scrape-Timeout-Seconds': '30' }).then(async (res) => {
      answered = true;
      return { status: res.status, body: await res.text() };
    });
    const waits = () => exporter.stderr().split('\n').filter((l) => l.includes('scrape waits for the first collection') && l.includes('"wait_ms":29500'));
    await eventually(async () => (waits().length === 1 ? true : undefined), 10_000, 'the scrape waiting');
    // The scrape is held while the collection cannot finish (other requests are still served)...
    expect((await fetch(`${exporter.url}/healthz`)).status).toBe(200);
    expect(answered).toBe(false);
    await release();
    // ...and answered with the snapshot once it can.
    const { status, body } = await pending;
    expect(status).toBe(200);
    expect(body).toMatch(/^tcpstate_sockets\{family="ipv4",state="listen"\} 3$/m);
    expect(body).toMatch(/^tcpstate_collector_success\{collector="snmp"\} 1$/m);
  }, 20_000);

  it('once there is a snapshot, never waits, whatever the header', async () => {
    const res = await scrape({ 'X-Prometheus-Scrape-Timeout-Seconds': '30' });
    expect(await res.text()).toMatch(/^tcpstate_sockets\{/m);
    expect(exporter.stderr().split('\n').filter((l) => l.includes('scrape waits for the first collection'))).toHaveLength(2);
  });
});
