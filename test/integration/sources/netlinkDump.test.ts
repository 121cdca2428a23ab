import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AF_INET, buildInetDiagDumpRequest, TCPF_ALL } from '../../../src/parse/inetDiag.js';
import { dumpSockDiag } from '../../../src/sources/netlink/dump.js';
import { openSockDiag } from '../../../src/sources/netlink/libcNetlink.js';
import { LoopbackSockets } from '../../helpers/loopbackSockets.js';

const request = buildInetDiagDumpRequest(AF_INET, TCPF_ALL, 1);

/** The kernel's own dump (the recv() calls against a scripted socket: test/unit/sources/netlinkDumpRecvCalls.test.ts). */
describe.skipIf(process.platform !== 'linux')('dumpSockDiag on the kernel', () => {
  const sockets = new LoopbackSockets();
  const PAIRS = 1500;

  beforeAll(async () => {
    const port = await sockets.listen('127.0.0.1');
    for (let i = 0; i < PAIRS; i++) await sockets.connect('127.0.0.1', port);
  });
  afterAll(() => sockets.close());

  it('gives the event loop turns throughout a real dump, at least as many as it has datagrams', async () => {
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

  it('hands the batches of a closed socket to the next one: dumps in a row allocate none', async () => {
    const first = await openSockDiag();
    const batch = first.newBatch(8, 32 * 1024);
    first.close();
    const second = await openSockDiag();
    const again = second.newBatch(8, 32 * 1024);
    const other = second.newBatch(8, 32 * 1024);
    second.close();
    expect(again).toBe(batch);
    expect(other).not.toBe(batch);
    // Still receives into it: a dump through reused batches reads the same table.
    const counts: number[] = [];
    for (let i = 0; i < 2; i++) {
      const sock = await openSockDiag();
      let n = 0;
      try {
        await dumpSockDiag(sock, request, false, () => {
          n++;
        });
      } finally {
        sock.close();
      }
      counts.push(n);
    }
    expect(counts[1]).toBe(counts[0]);
  });
});
