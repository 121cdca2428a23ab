import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AF_INET, buildInetDiagDumpRequest, TCPF_ALL } from '../../../src/parse/inetDiag.js';
import { dumpSockDiag } from '../../../src/sources/netlink/dump.js';
import { openSockDiag, type NetlinkSocket } from '../../../src/sources/netlink/libcNetlink.js';
import { LoopbackSockets } from '../../helpers/loopbackSockets.js';

const request = buildInetDiagDumpRequest(AF_INET, TCPF_ALL, 1);

/** The kernel's own dump (the recv() calls against a scripted socket: test/unit/sources/netlinkDumpRecvCalls.test.ts). */
describe.skipIf(process.platform !== 'linux')('dumpSockDiag on the kernel', () => {
  const sockets = new LoopbackSockets();
  const PAIRS = 1500;

  let port = 0;
  beforeAll(async () => {
    port = await sockets.listen('127.0.0.1');
    for (let i = 0; i < PAIRS; i++) await sockets.connect('127.0.0.1', port);
  });
  afterAll(() => sockets.close());

  it('reads every datagram of a real dump, and none after its end', async () => {
    // 3,000+ sockets make 8 or more 32 KiB datagrams, read two at a time into the socket's slots.
    const sock = await openSockDiag();
    let datagrams = 0;
    let twoAtOnce = 0;
    let lastRead = 0;
    const counted: NetlinkSocket = {
      send: (buf) => sock.send(buf),
      receiveQueued: (batch) => {
        const got = sock.receiveQueued(batch);
        datagrams += got;
        if (got === 2) twoAtOnce++;
        lastRead = got === 0 ? 0 : batch.lengths[got - 1]!;
        return got;
      },
      receiveWaiting: async (buf) => {
        datagrams++;
        return (lastRead = await sock.receiveWaiting(buf));
      },
      close: () => sock.close(),
    };
    let sockets = 0;
    try {
      expect(await dumpSockDiag(counted, request, false, () => void sockets++)).toBe(true);
    } finally {
      counted.close();
    }
    expect(sockets).toBeGreaterThanOrEqual(2 * PAIRS);
    expect(datagrams).toBeGreaterThanOrEqual(Math.floor((sockets * (16 + 72)) / 32768));
    // The kernel fills the next datagram inside each read, so a read of two takes two (reads a slow
    // one sent to the pool take one each, so not every read of the dump does).
    expect(twoAtOnce).toBeGreaterThan(0);
    // The last read was a datagram (the one with NLMSG_DONE), not an empty queue or a timeout.
    expect(lastRead).toBeGreaterThan(0);
  });

  it('reads the same sockets in dumps in a row on one socket (its buffer reused)', async () => {
    const sock = await openSockDiag();
    const counts: number[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        // This test's sockets only (its port at either end): other tests' come and go meanwhile.
        let n = 0;
        await dumpSockDiag(sock, buildInetDiagDumpRequest(AF_INET, TCPF_ALL, i + 1), false, (_buf, off, _end, view) => {
          if (view.getUint16(off + 4) === port || view.getUint16(off + 6) === port) n++;
        });
        counts.push(n);
      }
    } finally {
      sock.close();
    }
    // The listener and both ends of each connection.
    expect(counts).toEqual([1 + 2 * PAIRS, 1 + 2 * PAIRS, 1 + 2 * PAIRS]);
  });
});
