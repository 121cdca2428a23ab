import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { CollectorName } from '../../../src/collectors/index.js';
import { metricCatalog } from '../../../src/metrics/catalog.js';
import { buildExposition, renderedText } from '../../../src/metrics/exposition.js';
import { buildApp } from '../../../src/server/app.js';
import { chooseCollectors } from '../../../src/server/collectorFilter.js';
import { BUILD_INFO } from '../../../src/version.js';
import { DEFAULT_COLLECTORS, fixturePoller, silentLogger } from '../../helpers/collect.js';
import { fixture } from '../../helpers/paths.js';

describe('chooseCollectors (node_exporter\'s collect[] and exclude[])', () => {
  const enabled = DEFAULT_COLLECTORS;
  it.each<[string, Record<string, unknown>, ReturnType<typeof chooseCollectors>]>([
    ['no parameter: every collector', {}, { ok: true, collectors: undefined }],
    ['one collect[]', { 'collect[]': 'sockets' }, { ok: true, collectors: new Set(['sockets']) }],
    ['several collect[]', { 'collect[]': ['sockets', 'sysctl', 'sockets'] }, { ok: true, collectors: new Set(['sockets', 'sysctl']) }],
    ['exclude[]: every enabled collector but those', { 'exclude[]': ['snmp', 'netstat'] }, { ok: true, collectors: new Set(['sockets', 'sysctl', 'sockstat']) }],
    ['exclude[] of a collector that is off anyway', { 'exclude[]': 'processes' }, { ok: true, collectors: new Set(enabled) }],
    ['both together (node_exporter\'s message)', { 'collect[]': 'sockets', 'exclude[]': 'snmp' }, { ok: false, message: 'Combined collect and exclude queries are not allowed.' }],
    ['an unknown collect[] name', { 'collect[]': ['sockets', 'tcpstat'] }, { ok: false, message: 'unknown collector "tcpstat" in collect[] (collectors: sockets, sysctl, snmp, netstat, sockstat, processes, netns, connections, tcpinfo)' }],
    ['an empty collect[]', { 'collect[]': '' }, { ok: false, message: expect.stringMatching(/^unknown collector "" in collect\[\]/) }],
    ['an unknown exclude[] name', { 'exclude[]': 'smnp' }, { ok: false, message: expect.stringMatching(/^unknown collector "smnp" in exclude\[\]/) }],
    ['a collect[] of a collector that is not enabled', { 'collect[]': 'processes' }, { ok: false, message: 'collector "processes" in collect[] is not enabled (enable it with --collector.processes)' }],
  ])('%s', (_name, query, want) => {
    expect(chooseCollectors(query, enabled)).toEqual(want);
  });
});

/** `# TYPE` names in a body, in order. */
const families = (body: string): string[] => [...body.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]!);

describe('a filtered scrape', async () => {
  const poller = fixturePoller(fixture('proc'));
  await poller.collectOnce();
  const catalog = metricCatalog(BUILD_INFO, DEFAULT_COLLECTORS);
  const collectorOf = new Map(catalog.map((f) => [f.name, f.collector]));
  const exposition = buildExposition(catalog, poller, { processMetrics: true });
  const app = buildApp({ exposition, collectors: DEFAULT_COLLECTORS, snapshots: poller, telemetryPath: '/metrics', build: BUILD_INFO, logger: silentLogger });
  const all = (await app.inject({ url: '/metrics' })).body;

  /** The unfiltered body's families, less those of collectors not chosen. */
  const expectedFamilies = (chosen: readonly CollectorName[]): string[] =>
    families(all).filter((name) => {
      const c = collectorOf.get(name);
      return c === undefined || c === 'exporter' || chosen.includes(c);
    });

  it('collect[]=sockets&collect[]=sysctl: those collectors\' families, the exporter\'s own, and success for those two only', async () => {
    const res = await app.inject({ url: '/metrics?collect[]=sockets&collect[]=sysctl' });
    expect(res.statusCode).toBe(200);
    expect(families(res.body)).toEqual(expectedFamilies(['sockets', 'sysctl']));
    expect(families(res.body)).toContain('process_cpu_user_seconds_total');
    expect([...res.body.matchAll(/^tcpstate_collector_success\{collector="(\w+)"\} 1$/gm)].map((m) => m[1])).toEqual(['sockets', 'sysctl']);
    expect([...res.body.matchAll(/^tcpstate_collector_duration_seconds\{collector="(\w+)"\}/gm)].map((m) => m[1])).toEqual(['sockets', 'sysctl']);
    // The families served are the unfiltered scrape's lines, unchanged.
    for (const line of res.body.split('\n').filter((l) => l.startsWith('tcpstate_sockets{'))) expect(all).toContain(line);
  });

  it('exclude[]=snmp: everything but snmp; the URL-encoded form is the same', async () => {
    const res = await app.inject({ url: '/metrics?exclude%5B%5D=snmp' });
    expect(families(res.body)).toEqual(expectedFamilies(['sockets', 'sysctl', 'netstat', 'sockstat']));
    expect(res.body).not.toMatch(/^tcpstate_tcp_/m);
    expect(res.body).not.toMatch(/collector="snmp"/);
    expect(res.body).toMatch(/^tcpstate_tcpext_listen_overflows_total /m);
  });

  it('works gzipped and in OpenMetrics, with one # EOF', async () => {
    const res = await app.inject({
      url: '/metrics?collect[]=sockstat',
      headers: { 'accept-encoding': 'gzip', accept: 'application/openmetrics-text; version=1.0.0' },
    });
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(res.headers['content-type']).toMatch(/^application\/openmetrics-text/);
    const body = gunzipSync(res.rawPayload).toString();
    expect(families(body).filter((n) => n.startsWith('tcpstate_') && collectorOf.get(n) !== 'exporter')).toEqual(['tcpstate_sockstat_sockets_in_use', 'tcpstate_sockstat_orphan_sockets', 'tcpstate_sockstat_time_wait_sockets', 'tcpstate_sockstat_allocated_sockets', 'tcpstate_sockstat_memory_bytes']);
    expect(body.match(/^# EOF$/gm)).toHaveLength(1);
    expect(body.endsWith('# EOF\n')).toBe(true);
  });

  it('answers 400 with the reason, never a body of metrics', async () => {
    const cases: Array<[string, RegExp]> = [
      ['collect[]=sockets&exclude[]=snmp', /^Combined collect and exclude queries are not allowed\.\n$/],
      ['collect[]=tcpstat', /^unknown collector "tcpstat" in collect\[\]/],
      ['exclude[]=smnp', /^unknown collector "smnp" in exclude\[\]/],
      ['collect[]=netns', /^collector "netns" in collect\[\] is not enabled/],
    ];
    for (const [query, message] of cases) {
      const res = await app.inject({ url: `/metrics?${query}` });
      expect(res.statusCode, query).toBe(400);
      expect(res.body, query).toMatch(message);
    }
  });

  it('writes each collector\'s families once per snapshot and format, whatever the filter', async () => {
    // The same catalog, counting how often each family's samples are computed.
    const calls = new Map<string, number>();
    const counted = catalog.map((f) => ({ ...f, samples: (...args: Parameters<typeof f.samples>) => (calls.set(f.name, (calls.get(f.name) ?? 0) + 1), f.samples(...args)) }));
    const counting = buildExposition(counted, poller, { processMetrics: false, now: () => 0 });
    const only = new Set<CollectorName>(['sockets', 'sysctl']);
    const a = renderedText(await counting.render('prometheus', true, only));
    const b = renderedText(await counting.render('prometheus', false, only));
    const unfiltered = renderedText(await counting.render('prometheus', true));
    expect(b).toBe(a);
    expect(a).not.toContain('collector="snmp"');
    expect(unfiltered).toContain('collector="snmp"');
    // Collectors' text is shared by filtered and unfiltered scrapes; the exporter's is per choice; the age per scrape.
    expect(calls.get('tcpstate_sockets')).toBe(1);
    expect(calls.get('tcpstate_tcp_active_opens_total')).toBe(1);
    expect(calls.get('tcpstate_collector_success')).toBe(2);
    expect(calls.get('tcpstate_snapshot_age_seconds')).toBe(3);
    await counting.render('openmetrics', false, only);
    expect(calls.get('tcpstate_sockets')).toBe(2);
    await poller.collectOnce();
    expect(renderedText(await counting.render('prometheus', false, only))).toContain('tcpstate_sockets{');
    expect(calls.get('tcpstate_sockets')).toBe(3); // a new snapshot: written again
  });
});
