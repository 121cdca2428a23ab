import { batchEndsDump, parseInetDiagBatch } from '../../parse/inetDiag.js';
import type { DatagramBatch, NetlinkSocket } from './libcNetlink.js';

/**
 * Datagrams per receive and bytes per slot. The kernel sizes a dump's datagrams to the receive
 * length asked for, capped at 32 KiB (netlink_recvmsg()'s max_recvmsg_len), so a 32 KiB slot holds
 * any of them (a longer one would be MSG_TRUNC, reported as an error). 8 per receive: the pool
 * round trip is paid once per 8 datagrams, ~640 sockets with tcp_info, ~2,400 without, and one
 * event-loop turn parses them in about a millisecond. Two batches: 512 KiB, shared by the dumps of
 * one socket. 32 slots measured no faster at 1M sockets with tcp_info (docs/performance.md).
 */
const SLOTS = 8;
const SLOT_BYTES = 32 * 1024;
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
 * Two batches: while this thread parses one, a pool thread is already receiving the next, so the
 * kernel fills it in parallel. Each batch is its own event-loop turn (the receive completes
 * through the loop), which keeps scrapes answering during a million-socket walk. The next
 * receive is only asked for when this batch does not end the dump: a receive after the end would
 * wait for its timeout.
 *
 * The two batches are kept for the socket's next dumps (a walk makes four on one socket) and go
 * back with it on close.
 */
export async function dumpSockDiag(
  sock: NetlinkSocket,
  request: Buffer,
  familyOptional: boolean,
  onMessage: (buf: Buffer, offset: number, end: number) => void,
): Promise<boolean> {
  const batches = batchesFor(sock);
  await sock.send(request);
  let inFlight: Promise<number> | undefined;
  try {
    let next = sock.receive(batches[0]);
    inFlight = next;
    for (let i = 0; ; i ^= 1) {
      const n = await next;
      inFlight = undefined;
      if (n === 0) throw new DumpError('netlink dump ended without NLMSG_DONE', 0);
      const batch = batches[i]!;
      if (!batchEnds(batch, n)) inFlight = next = sock.receive(batches[i ^ 1]!);
      for (let k = 0; k < n; k++) {
        // A subarray from 0 keeps offsets datagram-relative for the parser and the callback.
        const datagram = k === 0 ? batch.bytes : batch.bytes.subarray(batch.offset(k));
        const r = parseInetDiagBatch(datagram, batch.length(k), onMessage);
        if (r.kind === 'done') return true;
        if (r.kind === 'error') {
          if (familyOptional && r.errno === EAFNOSUPPORT) return false;
          throw new DumpError(r.text, r.errno);
        }
      }
    }
  } finally {
    // A receive still in flight (onMessage threw) must finish before the caller closes the socket:
    // a pool thread that has not yet started it would otherwise read whatever reuses the fd.
    if (inFlight) await inFlight.catch(() => 0);
  }
}

/**
 * The socket's two batches: made by its first dump, reused by the ones after. Before, each dump
 * asked for two of its own, so a walk held eight (2 MiB) until its socket closed.
 */
const socketBatches = new WeakMap<NetlinkSocket, readonly [DatagramBatch, DatagramBatch]>();

function batchesFor(sock: NetlinkSocket): readonly [DatagramBatch, DatagramBatch] {
  let pair = socketBatches.get(sock);
  if (!pair) socketBatches.set(sock, (pair = [sock.newBatch(SLOTS, SLOT_BYTES), sock.newBatch(SLOTS, SLOT_BYTES)]));
  return pair;
}

/** Whether a datagram of the batch ends the dump (see batchEndsDump) or came truncated. */
function batchEnds(batch: DatagramBatch, n: number): boolean {
  for (let k = 0; k < n; k++) {
    if (batch.truncated(k)) throw new DumpError(`netlink datagram longer than ${SLOT_BYTES} bytes`, 0);
    if (batchEndsDump(k === 0 ? batch.bytes : batch.bytes.subarray(batch.offset(k)), batch.length(k))) return true;
  }
  return false;
}
