import { describe, expect, it } from 'vitest';
import type { SocketRecord } from '../../../src/model/socketRecord.js';
import { ESTABLISHED, TIME_WAIT } from '../../../src/model/tcpState.js';
import { AF_INET, AF_INET6, NLMSG_DONE } from '../../../src/parse/inetDiag.js';
import { TCP_INFO } from '../../../src/parse/tcpInfo.js';
import { NetlinkSocketSource } from '../../../src/sources/netlinkSocketSource.js';
import { control, diagMessage, scriptedNetlink, type DiagFields } from '../../helpers/netlinkMessages.js';

/** A netlink attribute (struct nlattr, then the payload padded to 4 bytes). */
function attr(type: number, payload: Buffer): Buffer {
  const a = Buffer.alloc(4 + ((payload.length + 3) & ~3));
  a.writeUInt16LE(4 + payload.length, 0);
  a.writeUInt16LE(type, 2);
  payload.copy(a, 4);
  return a;
}

/** INET_DIAG_INFO: a 280-byte struct tcp_info with tcpi_rtt and tcpi_retransmits set. */
function info(rttUs: number, retransmits = 0): Buffer {
  const t = Buffer.alloc(280);
  t.writeUInt32LE(rttUs, TCP_INFO.rtt);
  t[TCP_INFO.retransmits] = retransmits;
  return attr(2, t);
}

/** An inet_diag_msg with the attributes after it, its nlmsg_len covering them. */
function withAttrs(f: Partial<DiagFields>, attrs: readonly Buffer[]): Buffer {
  const b = Buffer.concat([diagMessage(f), ...attrs]);
  b.writeUInt32LE(b.length, 0);
  return b;
}

const SHUTDOWN = attr(8, Buffer.from([0]));
const SKV6ONLY = attr(11, Buffer.from([1]));
const CGROUP_ID = attr(21, Buffer.alloc(8));

interface Seen {
  inode: number;
  family: string;
  local: number[];
  remote: number[];
  rttUs: number;
  retransmits: number;
}

/** A walk over `sockets` (the non-LISTEN IPv4 pass; the other passes empty), as records copied. */
async function walk(sockets: readonly Buffer[], ipv6: readonly Buffer[] = []): Promise<Seen[]> {
  const done = control(NLMSG_DONE);
  const s = scriptedNetlink([done, done, Buffer.concat([...sockets, done]), Buffer.concat([...ipv6, done])]);
  const seen: Seen[] = [];
  const add = (r: Readonly<SocketRecord>): void => {
    seen.push({ inode: r.inode, family: r.family, local: Array.from(r.localAddress), remote: Array.from(r.remoteAddress), rttUs: r.info.rttUs, retransmits: r.info.retransmits });
  };
  await new NetlinkSocketSource(s.open).walk({ add }, undefined, { tcpInfo: true });
  return seen;
}

describe('NetlinkSocketSource records', () => {
  it('finds INET_DIAG_INFO wherever it lies, when the attributes before it change from one socket to the next', async () => {
    const seen = await walk([
      withAttrs({ state: ESTABLISHED, inode: 1 }, [SHUTDOWN, CGROUP_ID, info(1000)]),
      withAttrs({ state: ESTABLISHED, inode: 2 }, [SHUTDOWN, CGROUP_ID, info(2000, 3)]),
      // One attribute fewer: INET_DIAG_INFO 12 bytes earlier; where the last one was lies its payload.
      withAttrs({ state: ESTABLISHED, inode: 3 }, [SHUTDOWN, info(3000)]),
      // An attribute of another type where INET_DIAG_INFO was, and none at all.
      withAttrs({ state: ESTABLISHED, inode: 4 }, [SHUTDOWN, SKV6ONLY, CGROUP_ID, info(4000)]),
      withAttrs({ state: ESTABLISHED, inode: 5 }, [SHUTDOWN, CGROUP_ID]),
      withAttrs({ state: TIME_WAIT, inode: 6 }, []),
      withAttrs({ state: ESTABLISHED, inode: 7 }, [SHUTDOWN, info(7000)]),
    ]);
    expect(seen.map((s) => [s.inode, s.rttUs, s.retransmits])).toEqual([
      [1, 1000, 0],
      [2, 2000, 3],
      [3, 3000, 0],
      [4, 4000, 0],
      [5, -1, -1],
      [6, -1, -1],
      [7, 7000, 0],
    ]);
  });

  it('zeroes the 12 bytes after an IPv4 address when the record held an IPv6 one before', async () => {
    const v6 = [0x20, 0x01, 0x0d, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
    // The record is reused for every socket of a walk, and the bytes are cleared only after an IPv6 one.
    const seen = await walk([
      withAttrs({ family: AF_INET, state: ESTABLISHED, inode: 1, src: [127, 0, 0, 1], dst: [10, 0, 0, 2] }, []),
      withAttrs({ family: AF_INET6, state: ESTABLISHED, inode: 2, src: v6, dst: [...v6].reverse() }, []),
      withAttrs({ family: AF_INET, state: ESTABLISHED, inode: 3, src: [192, 0, 2, 1], dst: [198, 51, 100, 7] }, []),
    ]);
    const zeros = new Array<number>(12).fill(0);
    expect(seen.map((s) => [s.inode, s.family, s.local, s.remote])).toEqual([
      [1, 'ipv4', [127, 0, 0, 1, ...zeros], [10, 0, 0, 2, ...zeros]],
      [2, 'ipv6', v6, [...v6].reverse()],
      [3, 'ipv4', [192, 0, 2, 1, ...zeros], [198, 51, 100, 7, ...zeros]],
    ]);
  });
});
