import { readFileSync } from 'node:fs';
import { get } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startExporter, type RunningExporter } from '../helpers/exporterProcess.js';
import { fixture } from '../helpers/paths.js';

const kB = (pid: number, field: string): number => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);

const started: RunningExporter[] = [];

async function readyExporter(...extra: string[]): Promise<RunningExporter> {
  const exporter = await startExporter([`--path.procfs=${fixture('proc')}`, '--collector.source=procfs', '--collector.interval=200ms', '--log.level=debug', ...extra]);
  started.push(exporter); // stopped by afterAll even if it never gets ready
  await eventually(async () => ((await fetch(`${exporter.url}/readyz`)).ok ? true : undefined), 15_000, 'first collection');
  return exporter;
}

describe.runIf(process.platform === 'linux')('releasing the node binary\'s startup-only pages', () => {
  let released: RunningExporter;
  let kept: RunningExporter;
  beforeAll(async () => {
    released = await readyExporter();
    kept = await readyExporter('--no-runtime.release-startup-pages');
  }, 40_000);
  afterAll(async () => {
    for (const e of started) await e.stop();
  });

  it('happens once listening and once after the first collection, and is logged', async () => {
    const logged = (): string[] => released.stderr().split('\n').filter((l) => l.includes('released startup-only pages'));
    const lines = await eventually(async () => (logged().length >= 2 ? logged() : undefined), 5_000, 'two releases').catch(() => logged());
    expect(lines.map((l) => (JSON.parse(l) as { after: string }).after)).toEqual(['listening', 'first collection']);
    for (const l of lines) expect((JSON.parse(l) as { mappings: number }).mappings).toBeGreaterThanOrEqual(3);
    expect(kept.stderr()).not.toContain('released startup-only pages');
  });

  it('leaves far fewer of the binary\'s pages resident than --no-runtime.release-startup-pages', async () => {
    // Some collections and scrapes later, pages in use have come back; the startup-only ones have not.
    for (let i = 0; i < 5; i++) for (const e of [released, kept]) await (await fetch(`${e.url}/metrics`)).text();
    await new Promise((r) => setTimeout(r, 600));
    const [withRelease, without] = [kB(released.child.pid!, 'RssFile'), kB(kept.child.pid!, 'RssFile')];
    expect(without - withRelease).toBeGreaterThan(8 * 1024);
  });

  it('goes on serving every format afterwards', async () => {
    const plain = await fetch(`${released.url}/metrics`);
    expect(plain.status).toBe(200);
    expect(await plain.text()).toMatch(/^tcpstate_sockets\{family="ipv4",state="established"\} 6$/m);
    const om = await fetch(`${released.url}/metrics`, { headers: { accept: 'application/openmetrics-text; version=1.0.0' } });
    expect((await om.text()).endsWith('# EOF\n')).toBe(true);
    const gz = await new Promise<Buffer>((resolve, reject) => {
      get(`${released.url}/metrics`, { headers: { 'accept-encoding': 'gzip' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve(Buffer.concat(chunks))).on('error', reject);
      }).on('error', reject);
    });
    expect(gunzipSync(gz).toString()).toContain('tcpstate_sockets{');
  });
});
