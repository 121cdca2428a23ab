import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { parseInetDiagBatch } from '../../parse/inetDiag.js';
import type { NetlinkSocket } from './libcNetlink.js';

/** One recv() returns one datagram; the kernel sizes dump datagrams to at most 32 KiB. */
const RECV_BUFFER = 64 * 1024;
/** Datagrams between event-loop turns (~12,000 sockets, about a millisecond of kernel work). */
const DATAGRAMS_PER_TURN = 32;
const EAFNOSUPPORT = 97;

export class DumpError extends Error {
  constructor(
    message: string,
    readonly errno: number,
  ) {
    super(message);
  }
}

/**
 * Sends one dump request and feeds every inet_diag_msg to onMessage until NLMSG_DONE.
 * Returns false when the family is not supported (IPv6 disabled) and `familyOptional` is set.
 */
export async function dumpSockDiag(
  sock: NetlinkSocket,
  request: Buffer,
  familyOptional: boolean,
  onMessage: (buf: Buffer, offset: number) => void,
): Promise<boolean> {
  const buf = Buffer.allocUnsafe(RECV_BUFFER);
  sock.send(request);
  for (let datagrams = 1; ; datagrams++) {
    const n = sock.recv(buf);
    if (n === 0) throw new DumpError('netlink dump ended without NLMSG_DONE', 0);
    const r = parseInetDiagBatch(buf, n, onMessage);
    if (r.kind === 'done') return true;
    if (r.kind === 'error') {
      if (familyOptional && r.errno === EAFNOSUPPORT) return false;
      throw new DumpError(r.text, r.errno);
    }
    if (datagrams % DATAGRAMS_PER_TURN === 0) await yieldToEventLoop();
  }
}
