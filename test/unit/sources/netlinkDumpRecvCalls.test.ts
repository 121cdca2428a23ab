import { afterEach, describe, expect, it, vi } from 'vitest';
import { AF_INET, buildInetDiagDumpRequest, NLMSG_DONE, TCPF_ALL } from '../../../src/parse/inetDiag.js';
import { dumpSockDiag } from '../../../src/sources/netlink/dump.js';
import { NetlinkSocketSource } from '../../../src/sources/netlinkSocketSource.js';
import type { NetlinkSocket } from '../../../src/sources/netlink/libcNetlink.js';
import { control, diagMessage, fillBatch, scriptedNetlink } from '../../helpers/netlinkMessages.js';

const request = buildInetDiagDumpRequest(AF_INET, TCPF_ALL, 1);

/** When a dump calls recv() and closes its socket, against datagrams the test scripts (the kernel's dump: test/integration/sources/netlinkDump.test.ts). */
describe('dumpSockDiag with a scripted socket', () => {
  it('asks for the next datagram only while the dump goes on', async () => {
    // DONE shares the second datagram: both come in one read (two a read); a second read would
    // wait for the socket's timeout.
    const shared = scriptedNetlink([diagMessage({ inode: 1 }), Buffer.concat([diagMessage({ inode: 2 }), control(NLMSG_DONE)])]);
    const seen: number[] = [];
    await dumpSockDiag(await shared.open(), request, false, (buf, off) => seen.push(buf.readUInt32LE(off + 68)));
    expect(seen).toEqual([1, 2]);
    expect(shared.recvCalls()).toBe(1);
    // DONE alone in a third datagram: two reads, none after it.
    const own = scriptedNetlink([diagMessage({ inode: 1 }), diagMessage({ inode: 2 }), control(NLMSG_DONE)]);
    const ownSeen: number[] = [];
    await dumpSockDiag(await own.open(), request, false, (buf, off) => ownSeen.push(buf.readUInt32LE(off + 68)));
    expect(ownSeen).toEqual([1, 2]);
    expect(own.recvCalls()).toBe(2);
  });

  it('lets the recv in flight finish before the walk gives up and closes the socket', async () => {
    const s = scriptedNetlink([diagMessage({ inode: 1 }), diagMessage({ inode: 2 }), control(NLMSG_DONE)]);
    const source = new NetlinkSocketSource(s.open);
    await expect(
      source.walk({
        add: () => {
          throw new Error('sink failed');
        },
      }),
    ).rejects.toThrow('sink failed');
    expect(s.closed()).toBe(true);
    expect(s.closedDuringRecv()).toBe(false);
  });
});

/**
 * A socket whose send and reads take the time the test says, on a clock the test owns
 * (performance.now mocked), one datagram a read: reads on the event loop (receiveQueued) and on the pool
 * (receiveWaiting) counted, with the event-loop turns taken before each read.
 */
function timedSocket(datagrams: readonly Buffer[], readMs: (read: number) => number, sendMs = 0) {
  let clock = 0;
  vi.spyOn(performance, 'now').mockImplementation(() => clock);
  let turns = 0;
  let done = false;
  const tick = (): void => {
    turns++;
    if (!done) setImmediate(tick);
  };
  setImmediate(tick);
  const queue = [...datagrams];
  const log = { queued: 0, waiting: 0, turnsAtRead: [] as number[] };
  const advance = (): void => {
    log.turnsAtRead.push(turns);
    clock += readMs(log.queued + log.waiting - 1); // reads from 0
    if (queue.length <= 1) done = true;
  };
  const take = (buf: Buffer): number => {
    advance();
    return queue.shift()!.copy(buf);
  };
  const sock: NetlinkSocket = {
    send: async () => {
      clock += sendMs;
    },
    // One datagram a read, so the reads the test counts are datagrams.
    receiveQueued: (batch) => (log.queued++, advance(), fillBatch(batch, queue, 1)),
    receiveWaiting: (buf) => new Promise<number>((resolve) => setImmediate(() => (log.waiting++, resolve(take(buf))))),
    close: () => undefined,
  };
  return { sock, log };
}

describe('dumpSockDiag on the event loop', () => {
  afterEach(() => vi.restoreAllMocks());
  const datagrams = (n: number): Buffer[] => [...Array.from({ length: n - 1 }, (_, i) => diagMessage({ inode: i })), control(NLMSG_DONE)];

  it('reads on the event loop and gives it a turn every 4 ms of reading', async () => {
    // 12 reads of 1 ms each: three slices, so at least two turns between the first read and the last.
    const { sock, log } = timedSocket(datagrams(12), () => 1);
    await dumpSockDiag(sock, request, false, () => undefined);
    expect(log).toMatchObject({ queued: 12, waiting: 0 });
    expect(log.turnsAtRead.at(-1)! - log.turnsAtRead[0]!).toBeGreaterThanOrEqual(2);
  });

  it('keeps reading on the event loop after one slow read (the CPU taken away mid-read in a dense table)', async () => {
    const { sock, log } = timedSocket(datagrams(8), (read) => (read === 2 ? 30 : 0.1));
    await dumpSockDiag(sock, request, false, () => undefined);
    expect(log).toMatchObject({ queued: 8, waiting: 0 });
  });

  it('moves the reads after two slow reads in a row to a pool thread (a family sparse in a large table)', async () => {
    const { sock, log } = timedSocket(datagrams(8), (read) => (read === 2 || read === 3 ? 30 : 0.1));
    const seen: number[] = [];
    await dumpSockDiag(sock, request, false, (buf, off) => seen.push(buf.readUInt32LE(off + 68)));
    expect(log).toMatchObject({ queued: 4, waiting: 4 });
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('goes back to the event loop after 8 reads on the pool, then after 16 when the read it tries is slow too', async () => {
    const { sock, log } = timedSocket(datagrams(40), (read) => (read === 2 || read === 3 || read === 12 ? 30 : 0.1));
    await dumpSockDiag(sock, request, false, () => undefined);
    // Reads 0-3 here, 4-11 on the pool, 12 here (slow), 13-28 on the pool, 29-39 here.
    expect(log).toMatchObject({ queued: 4 + 1 + 11, waiting: 8 + 16 });
  });

  it('sends 8 reads to the pool again, not 16, for slow reads after a fast one', async () => {
    const { sock, log } = timedSocket(datagrams(30), (read) => ([2, 3, 13, 14].includes(read) ? 30 : 0.1));
    await dumpSockDiag(sock, request, false, () => undefined);
    // Reads 0-3 here, 4-11 on the pool, 12-14 here (12 fast), 15-22 on the pool, 23-29 here.
    expect(log).toMatchObject({ queued: 4 + 3 + 7, waiting: 8 + 8 });
  });

  it('reads on a pool thread from the start when the request was slow', async () => {
    const { sock, log } = timedSocket(datagrams(4), () => 0.1, 50);
    await dumpSockDiag(sock, request, false, () => undefined);
    expect(log).toMatchObject({ queued: 0, waiting: 4 });
  });

  it('after a slow request, goes back to the pool at the first slow read (the request counts as one)', async () => {
    const { sock, log } = timedSocket(datagrams(26), (read) => (read === 8 ? 30 : 0.1), 50);
    await dumpSockDiag(sock, request, false, () => undefined);
    // Reads 0-7 on the pool, 8 here (slow: back at once), 9-16 on the pool, 17-25 here.
    expect(log).toMatchObject({ queued: 1 + 9, waiting: 8 + 8 });
  });
});
