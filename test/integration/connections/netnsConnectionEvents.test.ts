import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canCreateNetns, Netns } from '../../../bench/netns.js';
import { eventually, startExporter, type RunningExporter } from '../../helpers/exporterProcess.js';
import { samplesOf } from '../../helpers/exposition.js';
import { CLI, REPO_ROOT } from '../../helpers/paths.js';
import { AS_NOBODY, canDropPrivileges } from '../../helpers/privileges.js';
import { haveTool } from '../../helpers/tools.js';
import { newClosedSocket } from '../../../src/model/closedSocket.js';
import { parseSocketDestroyDatagram } from '../../../src/parse/socketDestroyEvent.js';
import { openSockDiagEventsIn, pollSockets, type PollableEventSocket } from '../../../src/sources/netlink/libcNetlink.js';
import { PollSet } from '../../../src/sources/netlink/pollSet.js';

/*
 * --collector.netns with --collector.connections, end to end: the built exporter runs in the host
 * namespace, as the node-wide DaemonSet does, and counts the connections closed inside network
 * namespaces the test creates, each with a process in it so that discovery finds it.
 */

const EXCHANGE = join(REPO_ROOT, 'test', 'helpers', 'tcp_exchange.py');
const PORT = 7000;
/** Connections made in namespace A and in namespace B: each client sends 5000 bytes and gets 300, both sides close. */
const N = 30;
const M = 20;
const PAYLOAD = 5000 + 300;

type Samples = Map<string, number>;
const id = (netns: string): string => `netns="${netns}",pod_uid="",container_id=""`;
const closed = (m: Samples, netns: string): number | undefined => m.get(`tcpstate_netns_closed_connections_total{${id(netns)}}`);
const bytes = (m: Samples, netns: string, direction: string): number | undefined => m.get(`tcpstate_netns_closed_connection_bytes_total{${id(netns)},direction="${direction}"}`);
const segments = (m: Samples, netns: string, direction: string): number | undefined => m.get(`tcpstate_netns_closed_connection_segments_total{${id(netns)},direction="${direction}"}`);
const retransmitted = (m: Samples, netns: string): number | undefined => m.get(`tcpstate_netns_closed_connection_retransmitted_segments_total{${id(netns)}}`);
const lost = (m: Samples, netns: string): number | undefined => m.get(`tcpstate_netns_connection_events_lost_total{${id(netns)}}`);
/** Every series of a family for one namespace. */
const seriesOf = (m: Samples, netns: string): string[] => [...m.keys()].filter((k) => k.startsWith('tcpstate_netns_') && k.includes(`netns="${netns}"`) && /closed_connection|connection_events_lost/.test(k));

/** The sum of a per-port family's samples whose labels match `filter` (e.g. direction="sent"). */
function perPortSum(m: Samples, family: string, filter = ''): number {
  let total = 0;
  for (const [k, v] of m) if (k.startsWith(`${family}{`) && k.includes(filter)) total += v;
  return total;
}

/** The namespace's inode, as the exporter labels it: `ip netns add` bind-mounts it under /run/netns. */
const inodeOf = (ns: Netns): string => String(statSync(`/run/netns/${ns.name}`).ino);

/** The namespace's socket bound to the TCP destroy groups (sock_diag, groups 1 and 3), if any: the exporter's. */
function hasDestroyEventSocket(ns: Netns): boolean {
  return ns
    .run('cat', ['/proc/net/netlink'])
    .stdout.split('\n')
    .some((l) => {
      const f = l.trim().split(/\s+/);
      return f[1] === '4' && f[3] === '00000005';
    });
}

/** GET /metrics on a connection of its own, closed after the answer: a closed connection of the host namespace. */
function getMetrics(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get(`${url}/metrics`, { agent: false, headers: { connection: 'close' } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

async function scrape(url: string): Promise<Samples> {
  return samplesOf(await getMetrics(url));
}

describe.runIf(canCreateNetns() && haveTool('python3'))('closed connections per network namespace (--collector.netns --collector.connections)', () => {
  let a: Netns;
  let b: Netns;
  let exporter: RunningExporter | undefined;
  let inodeA: string;
  let inodeB: string;
  let m: Samples;

  beforeAll(async () => {
    a = new Netns('tcpstate-nsevA');
    b = new Netns('tcpstate-nsevB');
    inodeA = inodeOf(a);
    inodeB = inodeOf(b);
    // A process in each, so that discovery finds the namespace.
    a.start('sleep', ['infinity']);
    b.start('sleep', ['infinity']);
    exporter = await startExporter(['--collector.netns', '--collector.connections', '--collector.interval=500ms', '--collector.series.admit-cycles=0', '--collector.netns.max=10000']);
    const url = exporter.url;
    // Closes before a namespace's socket is open are not counted: wait until both are read.
    await eventually(async () => {
      const s = await scrape(url);
      return closed(s, inodeA) === 0 && closed(s, inodeB) === 0 ? true : undefined;
    }, 20_000, 'both namespaces to have their destroy events read');
    await Promise.all([
      a.startUntil('python3', [EXCHANGE, 'sequential', String(N), String(PORT)], /"done": true/),
      b.startUntil('python3', [EXCHANGE, 'sequential', String(M), String(PORT)], /"done": true/),
    ]);
    m = await eventually(async () => {
      const s = await scrape(url);
      return (closed(s, inodeA) ?? 0) >= 2 * N && (closed(s, inodeB) ?? 0) >= 2 * M ? s : undefined;
    }, 30_000, `${2 * N} closes in A and ${2 * M} in B`);
  }, 90_000);

  afterAll(async () => {
    await exporter?.stop('SIGKILL');
    a?.destroy();
    b?.destroy();
  });

  it('counts each namespace\'s closed connections apart, both sides of each (client and server are both inside)', () => {
    expect(closed(m, inodeA)).toBe(2 * N);
    expect(closed(m, inodeB)).toBe(2 * M);
    expect(lost(m, inodeA)).toBe(0);
    expect(lost(m, inodeB)).toBe(0);
  });

  it('counts the payload bytes exactly, the SYN and FIN taken out, as the per-port counters do', () => {
    // Within a namespace, what one side sent the other received: 5000 + 300 per connection each way.
    expect(bytes(m, inodeA, 'sent')).toBe(N * PAYLOAD);
    expect(bytes(m, inodeA, 'received')).toBe(N * PAYLOAD);
    expect(bytes(m, inodeB, 'sent')).toBe(M * PAYLOAD);
    expect(bytes(m, inodeB, 'received')).toBe(M * PAYLOAD);
  });

  it('counts plausible segments and no retransmission on loopback', () => {
    for (const [inode, count] of [[inodeA, N], [inodeB, M]] as const) {
      for (const direction of ['sent', 'received']) {
        // Each side: at least handshake, data and FIN; at most a few dozen for 5 KB.
        expect(segments(m, inode, direction)).toBeGreaterThanOrEqual(2 * 3 * count);
        expect(segments(m, inode, direction)).toBeLessThanOrEqual(2 * 20 * count);
      }
      expect(retransmitted(m, inode)).toBe(0);
    }
  });

  it('gives the host row exactly the per-port totals of the same snapshot', () => {
    // The exporter's (and this test's) namespace is labelled "host" when it is init's, as on a node.
    const ownInode = String(statSync('/proc/self/ns/net').ino);
    const own = closed(m, ownInode) !== undefined ? ownInode : 'host';
    // The test's own scrapes are closed connections of that namespace.
    expect(closed(m, own)).toBeGreaterThan(0);
    expect(closed(m, own)).toBe(perPortSum(m, 'tcpstate_port_closed_connections_total'));
    for (const direction of ['sent', 'received']) {
      expect(bytes(m, own, direction)).toBe(perPortSum(m, 'tcpstate_port_closed_connection_bytes_total', `direction="${direction}"`));
      expect(segments(m, own, direction)).toBe(perPortSum(m, 'tcpstate_port_closed_connection_segments_total', `direction="${direction}"`));
    }
    expect(retransmitted(m, own)).toBe(perPortSum(m, 'tcpstate_port_closed_connection_retransmitted_segments_total'));
    expect(lost(m, own)).toBe(m.get('tcpstate_connection_events_lost_total'));
  });

  it('says every collected namespace has its events read, and promtool accepts the exposition', async () => {
    const body = await getMetrics(exporter!.url);
    const s = samplesOf(body);
    expect(s.get('tcpstate_netns_connection_events_namespaces{outcome="unread"}')).toBe(0);
    expect(s.get('tcpstate_netns_connection_events_namespaces{outcome="read"}')).toBe(s.get('tcpstate_netns_namespaces{outcome="collected"}'));
    if (!haveTool('promtool')) return;
    const r = spawnSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
  });

  it('drops a namespace whose processes are gone: its series go, its socket is closed, the other keeps counting', async () => {
    const before = await scrape(exporter!.url);
    expect(seriesOf(before, inodeB).length).toBe(7); // closed, 2 bytes, 2 segments, retransmitted, lost
    for (const pid of spawnSync('ip', ['netns', 'pids', b.name], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean)) process.kill(Number(pid), 'SIGKILL');
    const after = await eventually(async () => {
      const s = await scrape(exporter!.url);
      return seriesOf(s, inodeB).length === 0 ? s : undefined;
    }, 20_000, 'the series of the namespace left empty to go');
    expect(closed(after, inodeA)).toBe(2 * N);
    // The namespace still exists (a bind mount keeps it): the exporter's socket in it is gone.
    await eventually(async () => (hasDestroyEventSocket(b) ? undefined : true), 10_000, 'the exporter to close its socket in the emptied namespace');
    expect(hasDestroyEventSocket(a)).toBe(true);
  }, 40_000);
});

describe.runIf(canCreateNetns() && haveTool('python3'))('an event socket opened inside a namespace, waited on with poll(2) on a pool thread', () => {
  let quiet: Netns;
  let busy: Netns;
  const sockets: PollableEventSocket[] = [];
  beforeAll(() => {
    quiet = new Netns('tcpstate-pollq');
    busy = new Netns('tcpstate-pollb');
  });
  afterAll(() => {
    for (const s of sockets) s.close();
    quiet?.destroy();
    busy?.destroy();
  });

  it('times out on a namespace where nothing closes, and wakes for the one where a connection closed, with its two sides', async () => {
    const q = await openSockDiagEventsIn(`/run/netns/${quiet.name}`, { receiveBufferBytes: 1 << 16, timeoutMs: 100 });
    sockets.push(q);
    const b = await openSockDiagEventsIn(`/run/netns/${busy.name}`, { receiveBufferBytes: 1 << 16, timeoutMs: 100 });
    sockets.push(b);
    const set = new PollSet();
    set.add(q.fd);
    set.add(b.fd);
    let { pollfds, count } = set.begin();
    expect(await pollSockets(pollfds, count, 100)).toBe(0);
    expect(set.end()).toEqual({ ready: [], closable: [] });
    await busy.startUntil('python3', [EXCHANGE, 'sequential', '1', String(PORT)], /"done": true/);
    ({ pollfds, count } = set.begin());
    expect(await pollSockets(pollfds, count, 5000)).toBe(1);
    expect(set.end().ready).toEqual([b.fd]);
    // Both ends' events are sent from a kernel workqueue: the second may come a moment after the first.
    const ports: number[] = [];
    const batch = b.newBatch(8, 1024);
    const record = newClosedSocket();
    await eventually(async () => {
      const n = b.receiveQueued(batch);
      for (let i = 0; i < n; i++) parseSocketDestroyDatagram(batch.bytes, batch.offset(i), batch.length(i), record, (s) => ports.push(s.localPort === PORT ? s.remotePort : s.localPort));
      return ports.length >= 2 ? true : undefined;
    }, 5000, 'both sides of the connection');
    expect(ports).toHaveLength(2);
    expect(new Set(ports).size).toBe(1); // the client's port, seen from both ends
    expect(q.receiveQueued(batch)).toBe(0);
  });
});

/** The built exporter as nobody, in this (the host) namespace; stderr kept. */
function startAsNobody(args: readonly string[]): { child: ChildProcess; stderr: () => string; url: Promise<string> } {
  const child = spawn('setpriv', [...AS_NOBODY, process.execPath, CLI, '--web.listen-address=127.0.0.1:0', '--log.format=json', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  const url = new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /"url":"(http:\/\/[^"]+)"/.exec(err);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`exporter exited with ${code}: ${err}`)));
  });
  return { child, stderr: () => err, url };
}

describe.runIf(canCreateNetns() && canDropPrivileges)('closed connections per network namespace without CAP_SYS_ADMIN', () => {
  let c: Netns;
  let exporter: ReturnType<typeof startAsNobody> | undefined;
  let inodeC: string;
  let m: Samples;

  beforeAll(async () => {
    c = new Netns('tcpstate-nsevC');
    inodeC = inodeOf(c);
    exporter = startAsNobody(['--collector.netns', '--collector.connections', '--collector.interval=500ms', '--collector.netns.max=10000']);
    const url = await exporter.url;
    // A process of nobody's in the namespace, started after the exporter (the lowest readable pid
    // is taken for the host): nobody may read its ns/net link, and is refused setns() into it.
    c.start('setpriv', [...AS_NOBODY, 'sleep', 'infinity']);
    m = await eventually(async () => {
      const s = await scrape(url);
      return s.has(`tcpstate_netns_sockets{${id(inodeC)},state="listen"}`) ? s : undefined;
    }, 20_000, 'the namespace to be collected');
  }, 60_000);

  afterAll(() => {
    exporter?.child.kill('SIGKILL');
    c?.destroy();
  });

  it('collects the namespace\'s sockets but serves no closed-connection series for it (absent, not zero), and says how many are unread', () => {
    expect(seriesOf(m, inodeC)).toEqual([]);
    expect(m.get('tcpstate_netns_connection_events_namespaces{outcome="unread"}')).toBeGreaterThanOrEqual(1);
    // Its own namespace needs no privilege: read from the connections collector.
    expect(closed(m, 'host') ?? closed(m, String(statSync('/proc/self/ns/net').ino))).toBeDefined();
  });

  it('warns once, naming the capability', () => {
    const warnings = exporter!
      .stderr()
      .split('\n')
      .filter((l) => l.includes('"level":"warn"') && l.includes('closed connections are not counted'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('CAP_SYS_ADMIN');
  });
});
