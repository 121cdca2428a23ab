import { batchEndsDump, parseInetDiagBatch } from '../../parse/inetDiag.js';
import type { NetlinkSocket } from './libcNetlink.js';

/** One recv() returns one datagram; the kernel sizes dump datagrams to at most 32 KiB. */
const RECV_BUFFER = 64 * 1024;
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
 * Sends one dump request and feeds every inet_diag_msg to onMessage (its offset, and the end of its
 * message: its attributes lie in between) until NLMSG_DONE.
 * Returns false when the family is not supported (IPv6 disabled) and `familyOptional` is set.
 *
 * Two buffers: while this thread parses one datagram, a pool thread is already in recv() for
 * the next, so the kernel fills it in parallel. Each datagram is its own event-loop turn (the
 * recv completes through the loop), which keeps scrapes answering during a million-socket walk.
 * The next recv is only asked for when this datagram does not end the dump: a recv after the
 * end would wait for its timeout.
 */
export async function dumpSockDiag(
  sock: NetlinkSocket,
  request: Buffer,
  familyOptional: boolean,
  onMessage: (buf: Buffer, offset: number, end: number) => void,
): Promise<boolean> {
  const bufs = [Buffer.allocUnsafe(RECV_BUFFER), Buffer.allocUnsafe(RECV_BUFFER)] as const;
  sock.send(request);
  let inFlight: Promise<number> | undefined;
  try {
    let next = sock.recv(bufs[0]);
    inFlight = next;
    for (let i = 0; ; i ^= 1) {
      const n = await next;
      inFlight = undefined;
      if (n === 0) throw new DumpError('netlink dump ended without NLMSG_DONE', 0);
      const buf = bufs[i]!;
      if (!batchEndsDump(buf, n)) inFlight = next = sock.recv(bufs[i ^ 1]!);
      const r = parseInetDiagBatch(buf, n, onMessage);
      if (r.kind === 'done') return true;
      if (r.kind === 'error') {
        if (familyOptional && r.errno === EAFNOSUPPORT) return false;
        throw new DumpError(r.text, r.errno);
      }
    }
  } finally {
    // A recv still in flight (onMessage threw) must finish before the caller closes the socket:
    // a pool thread that has not yet started it would otherwise read whatever reuses the fd.
    if (inFlight) await inFlight.catch(() => 0);
  }
}
