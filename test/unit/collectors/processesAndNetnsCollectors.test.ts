import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NetnsCollector } from '../../../src/collectors/netnsCollector.js';
import { DEFAULT_NETNS_OPTIONS } from '../../../src/collectors/options.js';
import { ProcessesCollector } from '../../../src/collectors/processesCollector.js';
import { statesByName } from '../../../src/model/tcpState.js';
import { ProcfsSocketSource } from '../../../src/sources/procfsSocketSource.js';
import { silentLogger } from '../../helpers/collect.js';
import { fixture } from '../../helpers/paths.js';

// test/fixtures/proc-pods: see make-pod-tree.py for who holds what.
const TREE = fixture('proc-pods');
const ctx = { procfs: TREE, log: silentLogger };
const source = new ProcfsSocketSource(TREE);
const nonZero = (states: readonly number[]): Record<string, number> =>
  Object.fromEntries(Object.entries(statesByName(states)).filter(([, n]) => n > 0));

describe('ProcessesCollector on a fixture tree', () => {
  it('names the processes holding sockets in each state, a shared socket once per name', async () => {
    const r = await new ProcessesCollector(source, { intervalMs: 60_000, top: 5, pids: false }).collect(ctx);
    const by = (state: string) => r.top.filter((t) => t.state === state).map((t) => [t.process, t.sockets]);
    expect(by('close_wait')).toEqual([['leakyapp', 1]]);
    expect(by('listen')).toEqual([['nginx', 2]]);
    // Ties go to the name that sorts first.
    expect(by('established')).toEqual([['curl', 2], ['leakyapp', 1], ['nginx', 1]]);
    expect(by('syn_sent')).toEqual([['curl', 1]]);
    expect(r.top.every((t) => t.pid === '')).toBe(true);
    // 24 sockets with an inode in net/tcp{,6}; 9 distinct ones are held by some process.
    expect(r.unattributed.reduce((a, b) => a + b, 0)).toBe(24 - 9);
    expect(nonZero(r.unattributed)).not.toHaveProperty('close_wait');
    expect(r.processesScanned).toBe(10);
    expect(r.processesUnreadable).toBe(0);
  });

  it('with pids, counts the shared CLOSE_WAIT socket for each process holding it, and keeps only the top K', async () => {
    const r = await new ProcessesCollector(source, { intervalMs: 60_000, top: 1, pids: true }).collect(ctx);
    expect(r.top.filter((t) => t.state === 'close_wait')).toEqual([{ state: 'close_wait', process: 'leakyapp', pid: '700', sockets: 1 }]);
    const r2 = await new ProcessesCollector(source, { intervalMs: 60_000, top: 5, pids: true }).collect(ctx);
    expect(r2.top.filter((t) => t.state === 'close_wait').map((t) => t.pid)).toEqual(['700', '701']);
    expect(r2.top.filter((t) => t.state === 'listen')).toEqual([
      { state: 'listen', process: 'nginx', pid: '412', sockets: 2 },
      { state: 'listen', process: 'nginx', pid: '413', sockets: 1 },
    ]);
  });

  it('scans on its own interval and serves the last scan in between', async () => {
    let now = 1_000_000;
    const c = new ProcessesCollector(source, { intervalMs: 60_000, top: 5, pids: false }, () => now);
    const first = await c.collect(ctx);
    now += 59_000;
    expect(await c.collect(ctx)).toBe(first);
    now += 1_000;
    const second = await c.collect(ctx);
    expect(second).not.toBe(first);
    expect(second.scannedAtSeconds).toBe(now / 1000);
  });
});

describe('NetnsCollector on a fixture tree', () => {

  it('finds each network namespace once, host first, with its sockets and its pod and container', async () => {
    const r = await new NetnsCollector(DEFAULT_NETNS_OPTIONS, source).collect(ctx);
    expect(r).toMatchObject({ found: 4, skipped: 0, failed: 0, unreadableProcesses: 0 });
    const rows = r.namespaces.map((n) => ({ netns: n.netns, pod: n.podUid, container: n.containerId.slice(0, 8), states: nonZero(n.states) }));
    expect(rows).toEqual([
      { netns: 'host', pod: '', container: '', states: { established: 9, syn_sent: 1, syn_recv: 1, fin_wait1: 1, fin_wait2: 1, time_wait: 3, close: 1, close_wait: 1, last_ack: 1, listen: 4, closing: 1 } },
      { netns: '4026532101', pod: '6f1c2b3a-4d5e-4f60-8a9b-0c1d2e3f4a5b', container: 'aaaaaaaa', states: { established: 2, close_wait: 1, time_wait: 1, listen: 1 } },
      { netns: '4026532102', pod: '0b7e9c1d-2f3a-4b5c-9d8e-7f6a5b4c3d2e', container: 'bbbbbbbb', states: { close_wait: 1, listen: 1 } },
      { netns: '4026532103', pod: '', container: 'dddddddd', states: { listen: 1 } },
    ]);
    expect(r.namespaces[0]!.serverPorts).toBeUndefined();
  });

  // Pids wrap: a short-lived process can be a namespace's lowest pid and exit between discovery
  // and the walk. Here pid 2000 is in pod A's namespace at discovery, and its net/ is gone.
  describe('when the lowest pid of a namespace exits before its walk', () => {
    const copy = mkdtempSync(join(tmpdir(), 'tcpstate-netns-'));
    afterAll(() => rmSync(copy, { recursive: true, force: true }));
    cpSync(TREE, copy, { recursive: true, verbatimSymlinks: true });
    mkdirSync(join(copy, '2000', 'ns'), { recursive: true });
    symlinkSync('net:[4026532101]', join(copy, '2000', 'ns', 'net'));

    it('walks it through the next of its pids: collected, not failed, same sockets and pod', async () => {
      const r = await new NetnsCollector(DEFAULT_NETNS_OPTIONS, new ProcfsSocketSource(copy)).collect({ procfs: copy, log: silentLogger });
      expect(r).toMatchObject({ found: 4, failed: 0 });
      const podA = r.namespaces.find((n) => n.netns === '4026532101');
      expect(podA).toMatchObject({ podUid: '6f1c2b3a-4d5e-4f60-8a9b-0c1d2e3f4a5b' });
      expect(nonZero(podA!.states)).toEqual({ established: 2, close_wait: 1, time_wait: 1, listen: 1 });
    });
  });

  it('caps the namespaces and, when asked, adds capped per-port states', async () => {
    const r = await new NetnsCollector({ ...DEFAULT_NETNS_OPTIONS, max: 2, ports: true, serverPorts: 1, clientPorts: 1 }, source).collect(ctx);
    expect(r).toMatchObject({ found: 4, skipped: 2 });
    const pod = r.namespaces[1]!;
    expect(pod.serverPorts!.map((p) => [p.port, nonZero(p.states)])).toEqual([
      ['8080', { established: 2, close_wait: 1, listen: 1 }],
      ['other', {}],
      ['ephemeral', {}],
    ]);
    expect(pod.clientPorts!.map((p) => [p.port, nonZero(p.states)])).toEqual([
      ['53', { time_wait: 1 }],
      ['other', {}],
      ['ephemeral', {}],
    ]);
    // The host listens on 22 (5 sockets), 8080 (4) and 9090 (4): the busiest is named, the rest are "other".
    expect(r.namespaces[0]!.serverPorts!.map((p) => p.port)).toEqual(['22', 'other', 'ephemeral']);
  });
});
