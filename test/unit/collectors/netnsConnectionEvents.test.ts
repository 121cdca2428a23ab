import { describe, expect, it } from 'vitest';
import type { ConnectionsResult } from '../../../src/collectors/connectionsCollector.js';
import { NetnsCollector } from '../../../src/collectors/netnsCollector.js';
import { NetnsConnectionEvents } from '../../../src/collectors/netnsConnectionEvents.js';
import { DEFAULT_CONNECTIONS_OPTIONS, DEFAULT_NETNS_OPTIONS } from '../../../src/collectors/options.js';
import { NetlinkError, type DatagramBatch, type PollableEventSocket } from '../../../src/sources/netlink/libcNetlink.js';
import type { NetworkNamespace } from '../../../src/sources/netnsDiscovery.js';
import { ProcfsSocketSource } from '../../../src/sources/procfsSocketSource.js';
import { recordingLog } from '../../helpers/collect.js';
import { fixture } from '../../helpers/paths.js';

const OWN = 4026531840;
const A = 4026532101;
const B = 4026532102;
const ns = (inode: number, pid: number, host = false): NetworkNamespace => ({ inode, pids: [pid], host });

/** Sockets that open unless told otherwise, never have events, and a poll that always times out. */
function quietKernel(refuse?: (path: string) => unknown, drops: () => number = () => 3) {
  const opened: string[] = [];
  const closed: string[] = [];
  const open = async (path: string): Promise<PollableEventSocket> => {
    const err = refuse?.(path);
    if (err) throw err;
    opened.push(path);
    const batch: DatagramBatch = { bytes: Buffer.alloc(1024), capacity: 1, offset: () => 0, length: () => 0, truncated: () => false };
    return {
      fd: 100 + opened.length,
      newBatch: () => batch,
      receive: async () => 0,
      receiveQueued: () => 0,
      drops,
      receiveBufferBytes: () => 4096,
      close: () => closed.push(path),
    };
  };
  const poll = (): Promise<number> => new Promise((r) => setTimeout(() => r(0), 2));
  return { deps: { open, poll, pollTimeoutMs: 2 }, opened, closed };
}

const connections = (lost: number): ConnectionsResult => ({
  serverPorts: [
    { port: '7000', closed: 4, bytesSent: 1200, bytesReceived: 20000, segmentsOut: 40, segmentsIn: 50, retransmitted: 1 },
    { port: 'other', closed: 1, bytesSent: 10, bytesReceived: 0, segmentsOut: 3, segmentsIn: 3, retransmitted: 0 },
  ],
  clientPorts: [{ port: '7000', closed: 4, bytesSent: 20000, bytesReceived: 1200, segmentsOut: 50, segmentsIn: 40, retransmitted: 0 }],
  connections: 9,
  withoutPeer: 0,
  lost,
  receiveBufferBytes: 8 << 20,
  reader: { datagrams: 9, truncated: 0, malformed: 0 },
});

describe('closed connections per network namespace (NetnsConnectionEvents)', () => {
  it('takes its own namespace from the connections collector of the cycle, summed over roles and ports, and nothing when that failed', async () => {
    const k = quietKernel();
    const e = new NetnsConnectionEvents(DEFAULT_CONNECTIONS_OPTIONS, k.deps);
    const own = ns(OWN, 1, true);
    await e.startCycle('/proc', [own], OWN, null, recordingLog().logger);
    expect(k.opened).toEqual([]); // no socket of its own: the connections collector has one
    expect(e.of(own, OWN, { ok: true, value: connections(2) })).toEqual({ closed: 9, bytesSent: 21210, bytesReceived: 21200, segmentsOut: 93, segmentsIn: 93, retransmitted: 1, lost: 2 });
    expect(e.of(own, OWN, { ok: false, reason: 'timeout' })).toBeUndefined();
    expect(e.of(own, OWN, undefined)).toBeUndefined();
    await e.close();
  });

  it('logs once when other namespaces start losing events, naming them, and once when the loss stops', async () => {
    let dropped = 0;
    const k = quietKernel(undefined, () => dropped);
    const e = new NetnsConnectionEvents(DEFAULT_CONNECTIONS_OPTIONS, k.deps);
    const { logger, records } = recordingLog();
    const cycle = (): Promise<void> => e.startCycle('/host/proc', [ns(OWN, 1, true), ns(A, 200)], OWN, null, logger);
    await cycle();
    dropped = 40;
    await cycle();
    dropped = 90;
    await cycle();
    await cycle();
    await cycle();
    const losses = records.filter((r) => r.msg.includes('other network namespaces'));
    expect(losses.map((r) => [r.level, r.obj['lost'] ?? null, r.obj['netns'] ?? null])).toEqual([
      ['warn', 40, { [String(A)]: 40 }],
      ['info', null, null],
    ]);
    await e.close();
  });

  it('opens a socket inside each other namespace, from its process, and counts from zero', async () => {
    const k = quietKernel();
    const e = new NetnsConnectionEvents(DEFAULT_CONNECTIONS_OPTIONS, k.deps);
    await e.startCycle('/host/proc', [ns(OWN, 1, true), ns(A, 200), ns(B, 300)], OWN, null, recordingLog().logger);
    expect(k.opened).toEqual(['/host/proc/200/ns/net', '/host/proc/300/ns/net']);
    expect(e.of(ns(A, 200), OWN, undefined)).toEqual({ closed: 0, bytesSent: 0, bytesReceived: 0, segmentsOut: 0, segmentsIn: 0, retransmitted: 0, lost: 3 });
    // Next cycle: B is gone (or beyond --collector.netns.max): its socket is closed and its series go.
    await e.startCycle('/host/proc', [ns(OWN, 1, true), ns(A, 200)], OWN, null, recordingLog().logger);
    expect(k.opened).toHaveLength(2);
    await new Promise((r) => setTimeout(r, 10));
    expect(k.closed).toEqual(['/host/proc/300/ns/net']);
    expect(e.of(ns(B, 300), OWN, undefined)).toBeUndefined();
    await e.close();
    expect(k.closed).toEqual(['/host/proc/300/ns/net', '/host/proc/200/ns/net']);
  });

  it('without CAP_SYS_ADMIN, warns once naming the capability, reads no other namespace (absent, not zero) and stops trying', async () => {
    let tries = 0;
    const k = quietKernel(() => {
      tries++;
      return new NetlinkError('setns', 1);
    });
    const e = new NetnsConnectionEvents(DEFAULT_CONNECTIONS_OPTIONS, k.deps);
    const { logger, records } = recordingLog();
    for (let cycle = 0; cycle < 3; cycle++) await e.startCycle('/proc', [ns(OWN, 1, true), ns(A, 200), ns(B, 300)], OWN, null, logger);
    expect(tries).toBe(1);
    const warnings = records.filter((r) => r.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toMatch(/CAP_SYS_ADMIN/);
    expect(e.refusedBecause).toMatch(/CAP_SYS_ADMIN/);
    expect(e.of(ns(A, 200), OWN, undefined)).toBeUndefined();
    // Its own namespace needs no setns: still counted.
    expect(e.of(ns(OWN, 1, true), OWN, { ok: true, value: connections(0) })?.closed).toBe(9);
    await e.close();
  });

  it('skips a namespace whose process left before its socket could be opened, and tries again next cycle', async () => {
    let gone = true;
    const k = quietKernel((path) => (gone && path.includes('/200/') ? Object.assign(new Error('ENOENT'), { code: 'ENOENT' }) : undefined));
    const e = new NetnsConnectionEvents(DEFAULT_CONNECTIONS_OPTIONS, k.deps);
    const { logger, records } = recordingLog();
    await e.startCycle('/proc', [ns(A, 200), ns(B, 300)], OWN, null, logger);
    expect(e.of(ns(A, 200), OWN, undefined)).toBeUndefined();
    expect(e.of(ns(B, 300), OWN, undefined)).toBeDefined();
    expect(records.filter((r) => r.level === 'warn')).toEqual([]);
    gone = false;
    await e.startCycle('/proc', [ns(A, 200), ns(B, 300)], OWN, null, logger);
    expect(e.of(ns(A, 200), OWN, undefined)).toBeDefined();
    await e.close();
  });
});

describe('NetnsCollector with --collector.connections on a fixture tree', () => {
  it('says that no namespace of a fixture tree has its events read, and serves none of their counters', async () => {
    const procfs = fixture('proc-pods');
    const c = new NetnsCollector({ ...DEFAULT_NETNS_OPTIONS, connectionEvents: DEFAULT_CONNECTIONS_OPTIONS }, new ProcfsSocketSource(procfs));
    const r = await c.collect({ procfs, log: recordingLog().logger });
    await c.close();
    // The fixture's ns/net links lead nowhere: every namespace is collected, none is read.
    expect(r.connectionEvents).toEqual({ read: 0, unread: 4 });
    expect(r.namespaces.filter((n) => n.closedConnections !== undefined)).toEqual([]);
  });

  it('leaves the per-namespace counters out entirely when --collector.connections is off', async () => {
    const procfs = fixture('proc-pods');
    const r = await new NetnsCollector(DEFAULT_NETNS_OPTIONS, new ProcfsSocketSource(procfs)).collect({ procfs, log: recordingLog().logger });
    expect(r.connectionEvents).toBeUndefined();
  });
});
