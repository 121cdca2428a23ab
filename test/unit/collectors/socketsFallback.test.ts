import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PORT_LIMITS } from '../../../src/aggregate/socketSummary.js';
import { SocketsCollector } from '../../../src/collectors/socketsCollector.js';
import { newSocketRecord, type SocketSink } from '../../../src/model/socketRecord.js';
import { STATE_CODE } from '../../../src/model/tcpState.js';
import { FallbackSocketSource } from '../../../src/sources/fallbackSocketSource.js';
import { NetlinkSocketSource } from '../../../src/sources/netlinkSocketSource.js';
import { ProcfsSocketSource } from '../../../src/sources/procfsSocketSource.js';
import type { SocketSource, WalkReport } from '../../../src/sources/socketSource.js';
import { AF_INET, AF_INET6, NLMSG_DONE, NLMSG_ERROR, SOCK_DIAG_BY_FAMILY, TCPDIAG_GETSOCK } from '../../../src/parse/inetDiag.js';
import { silentLogger } from '../../helpers/collect.js';
import { control, diagMessage, scriptedNetlink } from '../../helpers/netlinkMessages.js';
import { fixture } from '../../helpers/paths.js';

/** A primary source that adds `partial` sockets and then fails, like a dump cut off by ENOBUFS. */
function failingAfter(partial: number, message: string): SocketSource {
  return {
    name: 'netlink',
    reportsKernelDetail: true,
    async walk(sink: SocketSink): Promise<WalkReport> {
      const r = newSocketRecord();
      r.state = STATE_CODE.established;
      for (let i = 0; i < partial; i++) sink.add(r);
      throw new Error(message);
    },
  };
}

describe('SocketsCollector fallback', () => {
  const procfs = new ProcfsSocketSource(fixture('proc'));

  it('re-walks the fallback from zero when the primary fails mid-walk, and counts it', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'info' }, new Writable({ write(c, _e, cb) { lines.push(String(c)); cb(); } }));
    const collector = new SocketsCollector(new FallbackSocketSource(failingAfter(1000, 'netlink recv failed: errno 105'), procfs), DEFAULT_PORT_LIMITS);
    const alone = await new SocketsCollector(procfs, DEFAULT_PORT_LIMITS).collect({ procfs: fixture('proc'), log: silentLogger });
    const first = await collector.collect({ procfs: fixture('proc'), log });
    const second = await collector.collect({ procfs: fixture('proc'), log });
    expect(first.source).toBe('procfs');
    expect(first.summary).toEqual(alone.summary);
    expect([first.fallbacks, second.fallbacks]).toEqual([1, 2]);
    expect(lines.filter((l) => l.includes('this cycle uses the fallback'))).toHaveLength(1);
  });

  it('fails the collector when there is no fallback', async () => {
    const collector = new SocketsCollector(failingAfter(1, 'EPERM'), DEFAULT_PORT_LIMITS);
    await expect(collector.collect({ procfs: fixture('proc'), log: silentLogger })).rejects.toThrow('EPERM');
  });
});

describe('NetlinkSocketSource', () => {
  const scripted = (replies: Buffer[]) => scriptedNetlink(replies).open;

  // Listeners first: test/unit/sources/socketSourceContract.test.ts.
  it('walks both families and reports each family as a table', async () => {
    const script = scriptedNetlink([
      Buffer.concat([diagMessage({ state: 10, localPort: 80, wqueue: 128, rqueue: 1 }), control(NLMSG_DONE)]), // IPv4 listeners
      control(NLMSG_DONE), // IPv6 listeners
      // The rest of both families, in one dump, interleaved.
      Buffer.concat([diagMessage({ family: 10, state: 6, localPort: 6000, remotePort: 443 }), diagMessage({ state: 1, localPort: 80, remotePort: 5000 }), diagMessage({ family: 10, state: 99 }), control(NLMSG_DONE)]),
    ]);
    const source = new NetlinkSocketSource(script.open);
    const collector = new SocketsCollector(source, DEFAULT_PORT_LIMITS);
    const r = await collector.collect({ procfs: '/proc', log: silentLogger });
    expect(r.tables).toEqual([
      { table: 'netlink/ipv4', sockets: 2, malformed: 0, present: true },
      { table: 'netlink/ipv6', sockets: 1, malformed: 1, present: true },
    ]);
    expect(r.summary.listenQueues[0]).toMatchObject({ port: '80', acceptQueue: 1, backlog: 128 });
    expect(r.backlogSource).toBe('netlink');
    // LISTEN per family (SOCK_DIAG_BY_FAMILY), then every other state of both (TCPDIAG_GETSOCK).
    expect(script.requests().map((q) => [q.readUInt16LE(4), q[16]])).toEqual([
      [SOCK_DIAG_BY_FAMILY, AF_INET],
      [SOCK_DIAG_BY_FAMILY, AF_INET6],
      [TCPDIAG_GETSOCK, AF_INET],
    ]);
  });

  it('dumps per family from then on when the kernel refuses TCPDIAG_GETSOCK', async () => {
    const listeners = (): Buffer[] => [Buffer.concat([diagMessage({ state: 10, localPort: 80 }), control(NLMSG_DONE)]), control(NLMSG_DONE)];
    const rest = (): Buffer[] => [Buffer.concat([diagMessage({ state: 1, localPort: 80, remotePort: 5000 }), control(NLMSG_DONE)]), Buffer.concat([diagMessage({ family: 10, state: 1, localPort: 6000, remotePort: 443 }), control(NLMSG_DONE)])];
    const script = scriptedNetlink([...listeners(), control(NLMSG_ERROR, 95), ...rest(), ...listeners(), ...rest()]);
    const source = new NetlinkSocketSource(script.open);
    for (let cycle = 0; cycle < 2; cycle++) {
      const r = await source.walk({ add: () => undefined });
      expect(r.tables.map((t) => t.sockets)).toEqual([2, 1]);
    }
    const kinds = script.requests().map((q) => (q.readUInt16LE(4) === TCPDIAG_GETSOCK ? 'both' : q[16] === AF_INET ? 'v4' : 'v6'));
    // Asked once; the second walk goes straight to the per-family dumps.
    expect(kinds).toEqual(['v4', 'v6', 'both', 'v4', 'v6', 'v4', 'v6', 'v4', 'v6']);
  });

  it('fails the walk when the both-families dump fails after sockets came', async () => {
    const script = scriptedNetlink([control(NLMSG_DONE), control(NLMSG_DONE), diagMessage({ state: 1 }), control(NLMSG_ERROR, 16)]);
    await expect(new NetlinkSocketSource(script.open).walk({ add: () => undefined })).rejects.toThrow(/EBUSY/);
  });

  it('reports IPv6 as absent when the kernel has no AF_INET6', async () => {
    // The IPv6 listener dump fails with EAFNOSUPPORT; the second IPv6 dump is not even asked for.
    const script = scriptedNetlink([control(NLMSG_DONE), control(NLMSG_ERROR, 97), control(NLMSG_DONE)]);
    const collector = new SocketsCollector(new NetlinkSocketSource(script.open), DEFAULT_PORT_LIMITS);
    const r = await collector.collect({ procfs: '/proc', log: silentLogger });
    expect(r.tables[1]).toEqual({ table: 'netlink/ipv6', sockets: 0, malformed: 0, present: false });
    expect(script.recvCalls()).toBe(3);
  });

  it('throws on a truncated dump so the cycle can fall back', async () => {
    const source = new NetlinkSocketSource(scripted([diagMessage({ state: 1 })]));
    await expect(source.walk({ add: () => undefined })).rejects.toThrow(/EAGAIN: Resource temporarily unavailable/);
  });
});
