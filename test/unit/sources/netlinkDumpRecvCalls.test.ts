import { describe, expect, it } from 'vitest';
import { AF_INET, buildInetDiagDumpRequest, NLMSG_DONE, TCPF_ALL } from '../../../src/parse/inetDiag.js';
import { dumpSockDiag } from '../../../src/sources/netlink/dump.js';
import { NetlinkSocketSource } from '../../../src/sources/netlinkSocketSource.js';
import { control, diagMessage, scriptedNetlink } from '../../helpers/netlinkMessages.js';

const request = buildInetDiagDumpRequest(AF_INET, TCPF_ALL, 1);

/** When a dump calls recv() and closes its socket, against datagrams the test scripts (the kernel's dump: test/integration/sources/netlinkDump.test.ts). */
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
