import { constants } from 'node:os';
import { AF_INET, NLMSG_DONE, NLMSG_ERROR } from '../../src/parse/inetDiag.js';
import { NetlinkError, type NetlinkSocket } from '../../src/sources/netlink/libcNetlink.js';
import type { ReceiveBatch } from '../../src/sources/netlink/receiveBatch.js';

/** Whether a datagram holds its dump's last message (NLMSG_DONE or NLMSG_ERROR). */
function endsDump(datagram: Buffer): boolean {
  for (let off = 0; off + 16 <= datagram.length; off += (datagram.readUInt32LE(off) + 3) & ~3) {
    const type = datagram.readUInt16LE(off + 4);
    if (type === NLMSG_DONE || type === NLMSG_ERROR) return true;
    if (datagram.readUInt32LE(off) < 16) return true;
  }
  return false;
}

/**
 * Fills a batch as the kernel answers one recvmmsg(2) during a dump: datagrams from `queue`, up to
 * `max`, and none after the one ending its dump (the next dump's are not queued before its
 * request). How many.
 */
export function fillBatch(batch: ReceiveBatch, queue: Buffer[], max = batch.capacity): number {
  let got = 0;
  while (got < max && queue.length > 0) {
    const next = queue.shift()!;
    batch.lengths[got] = next.copy(batch.slots[got]!);
    got++;
    if (endsDump(next)) break;
  }
  return got;
}

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

/**
 * A netlink socket that replays scripted datagrams: receiveQueued() takes those queued at once (up
 * to the batch's capacity, none past its dump's end: fillBatch), receiveWaiting() the next on a
 * later event-loop turn, as a pool thread's would. With none left,
 * they answer as the real socket does: 0 (EAGAIN, nothing queued), or the receive timeout's EAGAIN.
 */
export function scriptedNetlink(replies: readonly Buffer[]): ScriptedNetlink {
  const queue = [...replies];
  let closed = false;
  let calls = 0;
  let inFlight = 0;
  let closedDuringRecv = false;
  const sent: Buffer[] = [];
  const take = (buf: Buffer): number => {
    const next = queue.shift();
    return next ? next.copy(buf) : 0;
  };
  return {
    open: async () => ({
      send: async (req) => {
        sent.push(Buffer.from(req));
      },
      receiveQueued: (batch) => {
        calls++;
        return fillBatch(batch, queue);
      },
      receiveWaiting: (buf) => {
        calls++;
        inFlight++;
        return new Promise<number>((resolve, reject) =>
          setImmediate(() => {
            inFlight--;
            const n = take(buf);
            if (n === 0) reject(new NetlinkError('recv', constants.errno.EAGAIN));
            else resolve(n);
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

export interface DestroyFields {
  family: number;
  localPort: number;
  remotePort: number;
  /** struct tcp_info fields by byte offset (parse/tcpInfo.ts TCP_INFO) and width. */
  info: ReadonlyArray<{ at: number; bytes: 1 | 4 | 8; value: number }>;
  /** Length of the tcp_info payload: 280 on 6.18; shorter for older kernels; null: no INET_DIAG_INFO at all. */
  infoLength: number | null;
  /** idiag_dst's bytes (4 for IPv4, 16 for IPv6); all zeros by default. */
  dst: readonly number[];
}

/**
 * One socket destroy message as sock_diag_broadcast_destroy_work() sends it: nlmsghdr,
 * inet_diag_msg (state TCP_CLOSE), INET_DIAG_PROTOCOL (u8 6) and INET_DIAG_INFO.
 */
export function destroyMessage(f: Partial<DestroyFields>): Buffer {
  const infoLength = f.infoLength === undefined ? 280 : f.infoLength;
  const proto = Buffer.alloc(8);
  proto.writeUInt16LE(5, 0);
  proto.writeUInt16LE(10, 2);
  proto[4] = 6;
  const attrs = [proto];
  if (infoLength !== null) {
    const info = Buffer.alloc(4 + ((infoLength + 3) & ~3));
    info.writeUInt16LE(4 + infoLength, 0);
    info.writeUInt16LE(2, 2);
    for (const { at, bytes, value } of f.info ?? []) {
      if (at + bytes > infoLength) continue;
      if (bytes === 1) info[4 + at] = value;
      else if (bytes === 4) info.writeUInt32LE(value, 4 + at);
      else info.writeBigUInt64LE(BigInt(value), 4 + at);
    }
    attrs.push(info);
  }
  const body = diagMessage({ family: f.family ?? AF_INET, state: 7, localPort: f.localPort ?? 0, remotePort: f.remotePort ?? 0, dst: f.dst ?? [] });
  const b = Buffer.concat([body, ...attrs]);
  b.writeUInt32LE(b.length, 0);
  return b;
}
