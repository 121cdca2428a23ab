import { spawnSync } from 'node:child_process';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricCatalog } from '../../../src/metrics/catalog.js';
import { BUILD_INFO } from '../../../src/version.js';
import { eventually, startExporter, type RunningExporter } from '../../helpers/exporterProcess.js';
import { fixture } from '../../helpers/paths.js';
import { haveTool } from '../../helpers/tools.js';

const PROC = `--path.procfs=${fixture('proc')}`;
const collectorOf = new Map(metricCatalog(BUILD_INFO).map((f) => [f.name, f.collector]));
const families = (body: string): string[] => [...body.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]!);
/** The collectors whose own families a body has (not the exporter's, not process_*). */
const collectorsIn = (body: string): string[] => [...new Set(families(body).map((n) => collectorOf.get(n)).filter((c) => c !== undefined && c !== 'exporter'))] as string[];
const successes = (body: string): string[] => [...body.matchAll(/^tcpstate_collector_success\{collector="(\w+)"\} 1$/gm)].map((m) => m[1]!);

/** Started, with its first collection done. */
async function ready(args: string[]): Promise<RunningExporter> {
  const e = await startExporter([PROC, ...args]);
  await eventually(async () => ((await fetch(`${e.url}/readyz`)).ok ? true : undefined));
  return e;
}

describe('collect[] and exclude[] on the real binary', () => {
  let e: RunningExporter;
  beforeAll(async () => {
    e = await ready([]);
  }, 30_000);
  afterAll(async () => {
    await e?.stop();
  });

  it('collect[]=sockets&collect[]=sysctl serves those two collectors, and their success only', async () => {
    const res = await fetch(`${e.url}/metrics?collect[]=sockets&collect[]=sysctl`);
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(collectorsIn(body)).toEqual(['sockets', 'sysctl']);
    expect(successes(body)).toEqual(['sockets', 'sysctl']);
    expect(body).toMatch(/^tcpstate_build_info\{/m);
    expect(body).toMatch(/^process_resident_memory_bytes /m);
    if (haveTool('promtool')) {
      const lint = spawnSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8' });
      expect(lint.stdout + lint.stderr).toBe('');
    }
  });

  it('exclude[]=snmp serves every other enabled collector', async () => {
    const body = await (await fetch(`${e.url}/metrics?exclude[]=snmp`)).text();
    expect(collectorsIn(body)).toEqual(['sockets', 'sysctl', 'netstat', 'sockstat']);
    expect(successes(body)).toEqual(['sockets', 'sysctl', 'netstat', 'sockstat']);
  });

  it('works with gzip and OpenMetrics, as Prometheus scrapes', async () => {
    const res = await fetch(`${e.url}/metrics?collect[]=sockstat`, {
      headers: { accept: 'application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.3', 'accept-encoding': 'gzip' },
    });
    expect(res.headers.get('content-type')).toMatch(/^application\/openmetrics-text/);
    // fetch decodes gzip itself; the raw bytes are checked in test/unit/server/collectorFilter.test.ts.
    const body = await res.text();
    expect(collectorsIn(body)).toEqual(['sockstat']);
    expect(body.endsWith('# EOF\n')).toBe(true);
  });

  it('both together, an unknown name, a collector not enabled: 400 with the reason', async () => {
    const cases: Array<[string, string]> = [
      ['collect[]=sockets&exclude[]=snmp', 'Combined collect and exclude queries are not allowed.\n'],
      ['collect[]=tcpstat', 'unknown collector "tcpstat" in collect[] (collectors: sockets, sysctl, snmp, netstat, sockstat, processes, netns, connections, tcpinfo)\n'],
      ['collect[]=processes', 'collector "processes" in collect[] is not enabled (enable it with --collector.processes)\n'],
    ];
    for (const [query, message] of cases) {
      const res = await fetch(`${e.url}/metrics?${query}`);
      expect([res.status, await res.text()], query).toEqual([400, message]);
    }
  });
});

describe('--collector.disable-defaults and --web.disable-exporter-metrics on the real binary', () => {
  it('--collector.disable-defaults runs only the collectors enabled by name', async () => {
    const e = await ready(['--collector.disable-defaults', '--collector.sysctl', '--collector.sockstat']);
    try {
      const body = await (await fetch(`${e.url}/metrics`)).text();
      expect(collectorsIn(body)).toEqual(['sysctl', 'sockstat']);
      expect(successes(body)).toEqual(['sysctl', 'sockstat']);
      expect(e.stderr()).toMatch(/"collectors":"sysctl,sockstat"/);
      // collect[] may only choose among them.
      expect((await fetch(`${e.url}/metrics?collect[]=sockets`)).status).toBe(400);
    } finally {
      expect(await e.stop()).toBe(0);
    }
  });

  it('--collector.disable-defaults alone runs no collector and still serves the exporter\'s own metrics', async () => {
    const e = await ready(['--collector.disable-defaults']);
    try {
      const body = await (await fetch(`${e.url}/metrics`)).text();
      expect(collectorsIn(body)).toEqual([]);
      expect(body).toMatch(/^tcpstate_build_info\{/m);
      expect(body).toMatch(/^tcpstate_snapshot_timestamp_seconds /m);
    } finally {
      expect(await e.stop()).toBe(0);
    }
  });

  it('--web.disable-exporter-metrics leaves out process_* and nodejs_*, and nothing else', async () => {
    const plain = await ready([]);
    const bare = await ready(['--web.disable-exporter-metrics']);
    try {
      const withProcess = await (await fetch(`${plain.url}/metrics`)).text();
      const without = await (await fetch(`${bare.url}/metrics`, { headers: { 'accept-encoding': 'gzip' } })).text();
      expect(withProcess).toMatch(/^process_resident_memory_bytes /m);
      expect(withProcess).toMatch(/^nodejs_heap_size_used_bytes /m);
      expect(families(without).filter((n) => !n.startsWith('tcpstate_'))).toEqual([]);
      expect(families(without)).toEqual(families(withProcess).filter((n) => n.startsWith('tcpstate_')));
    } finally {
      await plain.stop();
      await bare.stop();
    }
  });
});

describe('the gzip body of a filtered scrape', () => {
  it('is one gzip stream of several members that gunzip reads whole', async () => {
    const e = await ready([]);
    try {
      const { request } = await import('node:http');
      const raw = await new Promise<Buffer>((resolve, reject) => {
        const req = request(`${e.url}/metrics?collect[]=sockets&collect[]=snmp`, { headers: { 'accept-encoding': 'gzip' } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (d: Buffer) => chunks.push(d));
          res.on('end', () => resolve(Buffer.concat(chunks)));
        });
        req.on('error', reject);
        req.end();
      });
      const body = gunzipSync(raw).toString();
      expect(collectorsIn(body)).toEqual(['sockets', 'snmp']);
      expect(successes(body)).toEqual(['sockets', 'snmp']);
    } finally {
      await e.stop();
    }
  });
});
