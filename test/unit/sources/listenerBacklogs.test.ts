import { describe, expect, it } from 'vitest';
import { NLMSG_DONE, NLMSG_ERROR } from '../../../src/parse/inetDiag.js';
import { queryListenerBacklogs } from '../../../src/sources/netlink/listenerBacklogs.js';
import { showsOwnNetns } from '../../../src/sources/ownNamespace.js';
import { ProcfsSocketSource } from '../../../src/sources/procfsSocketSource.js';
import { SocketAggregator } from '../../../src/aggregate/socketAggregator.js';
import { control, diagMessage, scriptedNetlink } from '../../helpers/netlinkMessages.js';
import { fixture } from '../../helpers/paths.js';

const scripted = scriptedNetlink;

describe('queryListenerBacklogs', () => {
  it('maps every listener inode of both families to its backlog, across datagrams', async () => {
    const s = scripted([
      diagMessage({ inode: 10, wqueue: 128 }),
      Buffer.concat([diagMessage({ inode: 11, wqueue: 4096 }), control(NLMSG_DONE)]),
      Buffer.concat([diagMessage({ family: 10, inode: 12, wqueue: 511 }), control(NLMSG_DONE)]),
    ]);
    expect(await queryListenerBacklogs(s.open)).toEqual(new Map([[10, 128], [11, 4096], [12, 511]]));
    expect(s.closed()).toBe(true);
  });

  it('treats EAFNOSUPPORT for IPv6 as a host without IPv6', async () => {
    const s = scripted([control(NLMSG_DONE), control(NLMSG_ERROR, 97)]);
    expect(await queryListenerBacklogs(s.open)).toEqual(new Map());
  });

  it('fails on a kernel error or a dump that never ends, and still closes the socket', async () => {
    const eperm = scripted([control(NLMSG_ERROR, 1)]);
    await expect(queryListenerBacklogs(eperm.open)).rejects.toThrow(/netlink error EPERM: Operation not permitted/);
    expect(eperm.closed()).toBe(true);
    const cut = scripted([diagMessage({ inode: 1 })]);
    await expect(queryListenerBacklogs(cut.open)).rejects.toThrow(/netlink recv failed: EAGAIN: Resource temporarily unavailable/);
    expect(cut.closed()).toBe(true);
    expect(cut.closedDuringRecv()).toBe(false);
  });
});

describe('ProcfsSocketSource with a backlog query', () => {
  it('joins backlogs by inode and leaves unknown listeners unknown, port by port', async () => {
    // test/fixtures/proc: listeners on 22 (inode 10000), 8080 (10001 and 10002), and 9090 in tcp6 (10100).
    const source = new ProcfsSocketSource(fixture('proc'), async () => new Map([[10001, 100], [10002, 50]]));
    const agg = new SocketAggregator({ maxServerPorts: 10, topClientPorts: 10, pinnedPorts: [] });
    const report = await source.walk(agg);
    expect(report.backlogSource).toBe('netlink');
    const q = Object.fromEntries(agg.summarize().listenQueues.map((l) => [l.port, l]));
    // The fuller listener: 3 queued of backlog 100 + 1 (the kernel queues backlog + 1).
    expect(q['8080']).toMatchObject({ acceptQueue: 4, backlog: 150, maxFillRatio: 3 / 101 });
    // The 22 and 9090 listeners' inodes are not in the map: their backlogs stay unknown.
    expect(q['22']!.backlog).toBeNull();
    expect(q['9090']!.backlog).toBeNull();
  });

  it('reports a failed backlog query and still walks the tables', async () => {
    const source = new ProcfsSocketSource(fixture('proc'), async () => {
      throw new Error('netlink socket failed: errno 1');
    });
    const agg = new SocketAggregator({ maxServerPorts: 10, topClientPorts: 10, pinnedPorts: [] });
    const report = await source.walk(agg);
    expect(report).toMatchObject({ backlogSource: 'failed', backlogError: 'netlink socket failed: errno 1' });
    expect(report.tables[0]!.sockets).toBe(19);
    expect(agg.summarize().listenQueues.filter((l) => l.listeners > 0).every((l) => l.backlog === null)).toBe(true);
  });
});

describe('showsOwnNetns', () => {
  it('is true for /proc and false for a fixture tree', async () => {
    expect(await showsOwnNetns('/proc')).toBe(process.platform === 'linux');
    expect(await showsOwnNetns(fixture('proc'))).toBe(false);
  });
});
