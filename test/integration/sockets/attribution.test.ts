import { spawnSync } from 'node:child_process';
import { mkdirSync, readlinkSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canCreateNetns, Netns } from '../../../bench/netns.js';
import { NetnsCollector } from '../../../src/collectors/netnsCollector.js';
import { DEFAULT_NETNS_OPTIONS } from '../../../src/collectors/options.js';
import { ProcessesCollector } from '../../../src/collectors/processesCollector.js';
import { SocketsCollector } from '../../../src/collectors/socketsCollector.js';
import { DEFAULT_PORT_LIMITS } from '../../../src/aggregate/socketSummary.js';
import { statesByName } from '../../../src/model/tcpState.js';
import { selectSocketSource } from '../../../src/sources/selectSocketSource.js';
import { silentLogger } from '../../helpers/collect.js';
import { parseSs } from '../../helpers/ss.js';
import { CLI } from '../../helpers/paths.js';
import { holdSockets, type Held } from '../../helpers/socketHolder.js';
import { AS_NOBODY, canDropPrivileges } from '../../helpers/privileges.js';
import { processesWithRefusedLinks } from '../../helpers/refusedLinks.js';

const linux = process.platform === 'linux';
const ctx = { procfs: '/proc', log: silentLogger };


const named = (states: readonly number[]): Record<string, number> =>
  Object.fromEntries(Object.entries(statesByName(states)).filter(([, n]) => n > 0));

describe.runIf(linux)('per-process attribution on real sockets', () => {
  let leaky: Held;
  beforeAll(async () => {
    // 7 accepted connections it never closes (CLOSE_WAIT) and 3 open pairs (6 ESTABLISHED).
    leaky = await holdSockets(['leakyapp', '3', '7']);
  });
  afterAll(() => leaky?.child.kill('SIGKILL'));

  it('names the process that keeps CLOSE_WAIT sockets, by name and by pid', async () => {
    const sources = await selectSocketSource('auto', '/proc', silentLogger);
    const byName = await new ProcessesCollector(sources, { intervalMs: 60_000, top: 50, pids: false }).collect(ctx);
    const mine = byName.top.filter((t) => t.process === 'leakyapp');
    expect(mine).toEqual(
      expect.arrayContaining([
        { state: 'close_wait', process: 'leakyapp', pid: '', sockets: 7 },
        { state: 'established', process: 'leakyapp', pid: '', sockets: 6 },
        { state: 'listen', process: 'leakyapp', pid: '', sockets: 1 },
      ]),
    );
    const byPid = await new ProcessesCollector(sources, { intervalMs: 60_000, top: 50, pids: true }).collect(ctx);
    expect(byPid.top).toContainEqual({ state: 'close_wait', process: 'leakyapp', pid: String(leaky.pid), sockets: 7 });
    // As root, only processes even root may not trace (a sandbox's init here): counted, not skipped.
    expect(byPid.processesUnreadable).toBe(processesWithRefusedLinks());
  });

  it.runIf(canDropPrivileges)('as an unprivileged user, reports what it can read and counts the rest; the other collectors are unaffected', () => {
    const r = spawnSync('setpriv', [...AS_NOBODY, process.execPath, CLI, 'snapshot', '--format=json', '--collector.processes'], { encoding: 'utf8' });
    const s = JSON.parse(r.stdout) as {
      status: Record<string, { success: boolean }>;
      data: { processes: { processesUnreadable: number; top: Array<{ process: string }>; unattributed: Record<string, number> } };
    };
    for (const name of ['sockets', 'sysctl', 'snmp', 'netstat', 'sockstat', 'processes']) expect(s.status[name]!.success).toBe(true);
    expect(s.data.processes.processesUnreadable).toBeGreaterThan(0);
    // leakyapp runs as root: nobody cannot see its descriptors, so its CLOSE_WAIT sockets are unattributed.
    expect(s.data.processes.top.some((t) => t.process === 'leakyapp')).toBe(false);
    expect(s.data.processes.unattributed['close_wait']).toBeGreaterThanOrEqual(7);
    expect(r.stderr).toMatch(/cannot read the descriptor tables of some processes/);
  });
});
if (linux && !canDropPrivileges) console.warn('unprivileged process-scan test not exercised: needs root and setpriv');

describe.runIf(canCreateNetns())('ephemeral-port pressure in a namespace with a narrow port range', () => {
  let ns: Netns;
  beforeAll(async () => {
    ns = new Netns('tcpstate-eph', { 'net.ipv4.ip_local_port_range': '40000 40099', 'net.ipv4.ip_local_reserved_ports': '40090-40094' });
    // Listeners on 8080 and 8081 (outside the range); 60 connections to the first and 10 to the second.
    await holdSockets(['server', '0', '0', '8081'], ns);
    await holdSockets(['client', '0', '0', '8080', '127.0.0.1:8080:60', '127.0.0.1:8081:10'], ns);
  }, 30_000);
  afterAll(() => ns?.destroy());

  it('reports the worst destination against the usable range, the busiest destinations and the ports in use', () => {
    // connect() may give a connection to 8081 a local port that one to 8080 already holds (the
    // 4-tuples differ): distinct ports in use are between 60 and 70, and ss says which.
    const ss = parseSs(ns.run('ss', ['-tanH']).stdout).filter((s) => s.localPort >= 40000 && s.localPort <= 40099);
    const holders = new Map<number, number>();
    for (const s of ss) holders.set(s.localPort, (holders.get(s.localPort) ?? 0) + 1);
    const r = ns.exec(process.execPath, [CLI, 'snapshot', '--format=json']);
    expect(r.status).toBe(0);
    const eph = (JSON.parse(r.stdout) as { data: { sockets: { ephemeral: Record<string, unknown> } } }).data.sockets.ephemeral;
    const dest = (remotePort: number, ports: number) => ({
      family: 'ipv4', remoteAddress: '127.0.0.1', remotePort, timeWaitPorts: 0, otherPorts: ports, nonReusablePorts: ports, usageRatio: ports / 95,
    });
    expect(eph).toMatchObject({
      range: { low: 40000, high: 40099 },
      usablePorts: 95,
      portsInUse: holders.size,
      // A port with one connection is exclusive, one shared by connections to both is shared.
      held: { exclusive: [...holders.values()].filter((n) => n === 1).length, shared: [...holders.values()].filter((n) => n > 1).length, timeWait: 0 },
      freePorts: 95 - holders.size,
      destinations: 2,
      worstDestinationRatio: 60 / 95,
      countError: 0,
      top: [expect.objectContaining(dest(8080, 60)), expect.objectContaining(dest(8081, 10))],
    });
  });
});

/** A cgroup v1 hierarchy the test may create a kubepods-style group in, as the kubelet's cgroupfs driver does. */
function kubepodsCgroup(uid: string, containerId: string): { dir: string; remove: () => void } | undefined {
  for (const hierarchy of ['/sys/fs/cgroup/pids', '/sys/fs/cgroup/unified', '/sys/fs/cgroup']) {
    const dir = join(hierarchy, 'tcpstate-test-kubepods', 'besteffort', `pod${uid}`, containerId);
    try {
      mkdirSync(dir, { recursive: true });
      return {
        dir,
        remove: () => {
          for (let d = dir; d !== hierarchy; d = join(d, '..')) {
            try {
              rmdirSync(d);
            } catch {
              return;
            }
          }
        },
      };
    } catch {
      // not a writable cgroup hierarchy here
    }
  }
  return undefined;
}

describe.runIf(canCreateNetns())('per-namespace sockets in namespaces the test creates', () => {
  const UID = '11111111-2222-4333-8444-555555555555';
  const CONTAINER = 'c0ffee'.padEnd(64, '0');
  const spaces: Netns[] = [];
  const holders: Held[] = [];
  let cgroup: ReturnType<typeof kubepodsCgroup>;
  let inPod = false;

  beforeAll(async () => {
    for (let i = 0; i < 3; i++) {
      const ns = new Netns('tcpstate-netns');
      spaces.push(ns);
      // Namespace i: 1 listener, i+1 open pairs, 2 CLOSE_WAIT (and their FIN_WAIT2 peers).
      holders.push(await holdSockets([`app${i}`, String(i + 1), '2'], ns));
    }
    cgroup = kubepodsCgroup(UID, CONTAINER);
    if (cgroup) {
      try {
        writeFileSync(join(cgroup.dir, 'cgroup.procs'), String(holders[0]!.pid));
        inPod = true;
      } catch {
        inPod = false;
      }
    }
    if (!inPod) console.warn('pod identity from a live cgroup not exercised: no writable cgroup hierarchy (the fixture tree test covers the formats)');
  }, 30_000);

  afterAll(() => {
    for (const ns of spaces) ns.destroy();
    cgroup?.remove();
  });

  it('finds each namespace once, counts its sockets, and takes the host namespace from the sockets collector', async () => {
    const sources = await selectSocketSource('auto', '/proc', silentLogger);
    const sockets = new SocketsCollector(sources, DEFAULT_PORT_LIMITS);
    const netns = new NetnsCollector({ ...DEFAULT_NETNS_OPTIONS, max: 10_000 }, sources);
    const ownResult = await sockets.collect(ctx);
    const r = await netns.collect(ctx, { sockets: { ok: true, value: ownResult } });
    expect(r.failed).toBe(0);
    const host = r.namespaces.find((n) => n.netns === 'host')!;
    expect(host).toBeDefined();
    const ownTotals = ownResult.summary.byFamily.ipv4.map((n, i) => n + ownResult.summary.byFamily.ipv6[i]!);
    expect(host.states).toEqual(ownTotals);
    holders.forEach((h, i) => {
      const inode = /net:\[(\d+)\]/.exec(readlinkSync(`/proc/${h.pid}/ns/net`))![1]!;
      const ns = r.namespaces.find((n) => n.netns === inode);
      expect(ns, `namespace of app${i}`).toBeDefined();
      expect(named(ns!.states)).toEqual({ listen: 1, established: 2 * (i + 1), close_wait: 2, fin_wait2: 2 });
    });
  });

  it('labels a namespace whose first process sits in a kubepods cgroup with its pod UID and container ID', async (t) => {
    if (!inPod) t.skip();
    const sources = await selectSocketSource('auto', '/proc', silentLogger);
    const r = await new NetnsCollector({ ...DEFAULT_NETNS_OPTIONS, max: 10_000 }, sources).collect(ctx);
    const inode = /net:\[(\d+)\]/.exec(readlinkSync(`/proc/${holders[0]!.pid}/ns/net`))![1]!;
    expect(r.namespaces.find((n) => n.netns === inode)).toMatchObject({ podUid: UID, containerId: CONTAINER });
  });
});
