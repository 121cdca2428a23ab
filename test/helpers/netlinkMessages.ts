import { constants } from 'node:os';
import { AF_INET, NLMSG_ERROR } from '../../src/parse/inetDiag.js';
import { NetlinkError, type NetlinkSocket } from '../../src/sources/netlink/libcNetlink.js';

export interface DiagFields {
  family: number;
  state: number;
  timer: number;
  localPort: number;
  remotePort: number;
  src: readonly number[];
  dst: readonly number[];
  rqueue: number;
  wqueue: number;
  uid: number;
  inode: number;
}

/** One inet_diag_msg wrapped in its nlmsghdr, as the kernel sends it. */
export function diagMessage(f: Partial<DiagFields>): Buffer {
  const b = Buffer.alloc(16 + 72);
  b.writeUInt32LE(b.length, 0);
  b.writeUInt16LE(20, 4);
  b[16] = f.family ?? AF_INET;
  b[17] = f.state ?? 10;
  b[18] = f.timer ?? 0;
  b.writeUInt16BE(f.localPort ?? 0, 20);
  b.writeUInt16BE(f.remotePort ?? 0, 22);
  Buffer.from(f.src ?? []).copy(b, 24);
  Buffer.from(f.dst ?? []).copy(b, 40);
  b.writeUInt32LE(f.rqueue ?? 0, 16 + 56);
  b.writeUInt32LE(f.wqueue ?? 0, 16 + 60);
  b.writeUInt32LE(f.uid ?? 0, 16 + 64);
  b.writeUInt32LE(f.inode ?? 0, 16 + 68);
  return b;
}

export function control(type: number, errno = 0): Buffer {
  const b = Buffer.alloc(type === NLMSG_ERROR ? 20 : 16);
  b.writeUInt32LE(b.length, 0);
  b.writeUInt16LE(type, 4);
  if (type === NLMSG_ERROR) b.writeInt32LE(-errno, 16);
  return b;
}

export interface ScriptedNetlink {
  open: () => Promise<NetlinkSocket>;
  closed: () => boolean;
  /** recv() calls made; a call beyond the script fails as a real one times out. */
  recvCalls: () => number;
  /** The requests sent, in order. */
  requests: () => Buffer[];
  /** Whether close() ran while a recv() was still in flight (a pool thread could then read a reused fd). */
  closedDuringRecv: () => boolean;
}

/** A netlink socket that replays scripted datagrams, one per recv(), each completing on a later event-loop turn as a pool thread's would. */
export function scriptedNetlink(replies: readonly Buffer[]): ScriptedNetlink {
  const queue = [...replies];
  let closed = false;
  let calls = 0;
  let inFlight = 0;
  let closedDuringRecv = false;
  const sent: Buffer[] = [];
  return {
    open: async () => ({
      send: (req) => {
        sent.push(Buffer.from(req));
      },
      recv: (buf) => {
        calls++;
        inFlight++;
        return new Promise<number>((resolve, reject) =>
          setImmediate(() => {
            inFlight--;
            const next = queue.shift();
            // What the real socket throws when SO_RCVTIMEO expires with nothing to read.
            if (!next) reject(new NetlinkError('recv', constants.errno.EAGAIN));
            else resolve(next.copy(buf));
          }),
        );
      },
      close: () => {
        closed = true;
        if (inFlight > 0) closedDuringRecv = true;
      },
    }),
    closed: () => closed,
    recvCalls: () => calls,
    requests: () => sent,
    closedDuringRecv: () => closedDuringRecv,
  };
}
