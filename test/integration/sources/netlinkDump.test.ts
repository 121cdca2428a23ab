import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AF_INET, buildInetDiagDumpRequest, NLMSG_DONE, TCPF_ALL } from '../../../src/parse/inetDiag.js';
import { dumpSockDiag } from '../../../src/sources/netlink/dump.js';
import { openSockDiag } from '../../../src/sources/netlink/libcNetlink.js';
import { NetlinkSocketSource } from '../../../src/sources/netlinkSocketSource.js';
import { LoopbackSockets } from '../../helpers/loopbackSockets.js';
import { control, diagMessage, scriptedNetlink } from '../../helpers/netlinkMessages.js';

const request = buildInetDiagDumpRequest(AF_INET, TCPF_ALL, 1);

describe('dumpSockDiag with a scripted socket', () => {
  it('asks for the next datagram only while the dump goes on', async () => {
    // DONE shares the last datagram: a third recv() would wait for the socket's timeout.
    const shared = scriptedNetlink([diagMessage({ inode: 1 }), Buffer.concat([diagMessage({ inode: 2 }), control(NLMSG_DONE)])]);
    const seen: number[] = [];
    await dumpSockDiag(await shared.open(), request, false, (buf, off) => seen.push(buf.readUInt32LE(off + 68)));
    expect(seen).toEqual([1, 2]);
    expect(shared.recvCalls()).toBe(2);
    // DONE alone in its own datagram: three recv() calls, none after it.
    const own = scriptedNetlink([diagMessage({ inode: 1 }), diagMessage({ inode: 2 }), control(NLMSG_DONE)]);
    await dumpSockDiag(await own.open(), request, false, () => undefined);
    expect(own.recvCalls()).toBe(3);
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

describe.skipIf(process.platform !== 'linux')('dumpSockDiag on the kernel', () => {
  const sockets = new LoopbackSockets();
  const PAIRS = 1500;

  beforeAll(async () => {
    const port = await sockets.listen('127.0.0.1');
    for (let i = 0; i < PAIRS; i++) await sockets.connect('127.0.0.1', port);
  });
  afterAll(() => sockets.close());

  it('gives the event loop a turn for every datagram of a real dump', async () => {
    // 3,000+ sockets make 8 or more 32 KiB datagrams. A timer chain counts the loop's turns
    // while the dump runs: a walk that blocked the loop would let it run once at most.
    let turns = 0;
    let running = true;
    const tick = (): void => {
      turns++;
      if (running) setImmediate(tick);
    };
    setImmediate(tick);
    let datagramsAtLeast = 0;
    let sockets = 0;
    const sock = await openSockDiag();
    try {
      await dumpSockDiag(sock, request, false, () => {
        sockets++;
      });
    } finally {
      running = false;
      sock.close();
    }
    datagramsAtLeast = Math.floor((sockets * (16 + 72)) / 32768);
    expect(sockets).toBeGreaterThanOrEqual(2 * PAIRS);
    expect(datagramsAtLeast).toBeGreaterThanOrEqual(8);
    expect(turns).toBeGreaterThanOrEqual(datagramsAtLeast);
  });
});
