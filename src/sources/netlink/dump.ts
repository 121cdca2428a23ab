import { setImmediate as nextTurn } from 'node:timers/promises';
import { parseInetDiagBatch, type InetDiagMessageHandler } from '../../parse/inetDiag.js';
import type { NetlinkSocket } from './libcNetlink.js';
import { ReceiveBatch } from './receiveBatch.js';

/**
 * Bytes per read. The kernel sizes a dump's datagrams to the receive length asked for, capped at
 * 32 KiB (netlink_recvmsg()'s max_recvmsg_len), so 32 KiB holds any of them (a longer one would be
 * cut off, reported as an error): ~80 sockets with tcp_info, ~270 without.
 */
const DATAGRAM_BYTES = 32 * 1024;
/**
 * Datagrams a read takes (one recvmmsg(2)): two halve the syscalls and koffi calls of a walk
 * (~12,600 at 1M sockets with tcp_info), measured 30–45 ms a 1M cycle less than one; eight cost
 * more (ReceiveBatch, docs/performance.md).
 */
const DATAGRAMS_PER_READ = 2;
/** The longest run of reads and parsing (ms) before a dump lets the event loop serve scrapes. */
const SLICE_MS = 4;
/**
 * A read on the event loop (ms) past which it counts as slow. A read normally takes ~0.1 ms: the
 * kernel fills the next datagram inside it. It takes long when the kernel walks a long stretch of
 * its table without a socket to report: a family with few sockets in a large table (a few hundred
 * IPv6 sockets among a million IPv4 ones: 30–70 ms per read at 1M, measured), where every read is
 * slow. One read is also slow now and then in a dense table, when the VM or the scheduler takes
 * the CPU away in the middle of it (5–30 ms, a few times a 1M-socket walk on the benchmark VM).
 */
const SLOW_READ_MS = 5;
/**
 * Slow reads in a row that send the dump's later reads to a pool thread: two tell a sparse
 * family (every read slow) from a read the CPU was taken from (the next one fast again). On one,
 * the pool took thousands of a dense walk's reads, at twice the cost a datagram (one datagram a
 * pool read, ~0.2 ms a round trip, against two in ~0.18 ms here): 1M-socket cycles 0.2–0.7 s
 * longer (docs/performance.md).
 */
const SLOW_READS_IN_ROW = 2;
/**
 * The same for the request (ms), which the kernel answers with the first datagram inside send()
 * on a pool thread; its time as seen from here includes waking that thread (2 ms on average on
 * the benchmark VM, 9 ms at most), so the bound is higher.
 */
const SLOW_SEND_MS = 10;
/**
 * Reads that go to the pool once reads are slow, before the event loop tries again; doubled each
 * time the read it tries is slow too, so a sparse family's reads stay on the pool but for a few,
 * and back to this after a fast read, so a dense walk with slow stretches (a busy VM) pays a few
 * pool round trips for each, not the rest of a million-socket dump on the pool (12,500 datagrams
 * with tcp_info).
 */
const POOL_READS = 8;
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
 * Sends one dump request and feeds every inet_diag_msg to onMessage (its offset, and the end of
 * its message: its attributes lie in between; a DataView over its datagram) until NLMSG_DONE.
 * Returns false when the family is not supported (IPv6 disabled) and `familyOptional` is set.
 * Errors: DumpError (the kernel's NLMSG_ERROR, a malformed or cut-off datagram), NetlinkError
 * (send or recv failed; EAGAIN: nothing came within the socket's receive timeout).
 *
 * Reads are made on the event loop, two datagrams a read (one recvmmsg(2)) into the same two
 * 32 KiB slots, each parsed at once. The kernel copies into memory that is in the CPU's cache
 * then, and the parser reads it from there: receiving batches of datagrams on a pool thread into
 * 512 KiB of buffers instead cost 1.3–1.5x the C dump at 1M sockets with tcp_info, a tenth of the
 * kernel's time going to copy_to_user alone (perf; docs/performance.md); two slots halve the
 * syscalls of one recv(2) a datagram at no such cost (DATAGRAMS_PER_READ).
 * Every SLICE_MS the dump yields a turn to the event loop, so scrapes keep being answered.
 *
 * Two things stay off the event loop, on a pool thread: the request (the kernel makes the first
 * datagram inside send(), which for a family with no sockets walks the whole table, 100–250 ms at
 * 1M), and the reads after a slow request or two slow reads in a row (SLOW_SEND_MS, SLOW_READ_MS,
 * SLOW_READS_IN_ROW, POOL_READS): a family sparse in a large table, where each read walks a long
 * stretch. So one read is the most the event loop waits for: ~0.1 ms normally, one stretch of the
 * walk at worst (measured at 1M
 * IPv4 sockets and 600 IPv6 ones: the event loop's longest delay 9–15 ms, against 33–70 ms with
 * every read on it).
 */
export async function dumpSockDiag(sock: NetlinkSocket, request: Buffer, familyOptional: boolean, onMessage: InetDiagMessageHandler): Promise<boolean> {
  const batch = batchFor(sock);
  const sent = performance.now();
  await sock.send(request);
  // Reads left to make on the pool, how many the next slow read sends there, and the slow reads
  // (a slow request counting as one) since the last fast one.
  let probation = POOL_READS;
  const slowSend = performance.now() - sent > SLOW_SEND_MS;
  let onPool = slowSend ? probation : 0;
  let slowInRow = slowSend ? 1 : 0;
  let sliceEnd = performance.now() + SLICE_MS;
  for (;;) {
    let got = 0;
    if (onPool === 0) {
      const started = performance.now();
      got = sock.receiveQueued(batch);
      const now = performance.now();
      if (now - started <= SLOW_READ_MS) {
        slowInRow = 0;
        probation = POOL_READS;
      } else if (++slowInRow >= SLOW_READS_IN_ROW) {
        onPool = probation;
        probation *= 2;
      }
      if (now > sliceEnd) {
        await nextTurn();
        sliceEnd = performance.now() + SLICE_MS;
      }
    } else {
      onPool--;
    }
    // On the pool, or nothing queued yet (the kernel queues the next datagram inside each read, so
    // not during a dump; waiting costs nothing then).
    if (got === 0) {
      batch.lengths[0] = await sock.receiveWaiting(batch.slots[0]!);
      got = 1;
      sliceEnd = performance.now() + SLICE_MS;
    }
    for (let i = 0; i < got; i++) {
      const n = batch.lengths[i]!;
      if (n === 0) throw new DumpError('netlink dump ended without NLMSG_DONE', 0);
      if (n > DATAGRAM_BYTES) throw new DumpError(`netlink datagram longer than ${DATAGRAM_BYTES} bytes (${n})`, 0);
      const r = parseInetDiagBatch(batch.slots[i]!, n, onMessage, batch.views[i]);
      if (r.kind === 'done') return true;
      if (r.kind === 'error') {
        if (familyOptional && r.errno === EAFNOSUPPORT) return false;
        throw new DumpError(r.text, r.errno);
      }
    }
  }
}

/** The socket's read slots: made by its first dump, reused by the ones after (a walk makes three). */
const socketBatches = new WeakMap<NetlinkSocket, ReceiveBatch>();

function batchFor(sock: NetlinkSocket): ReceiveBatch {
  let b = socketBatches.get(sock);
  if (!b) socketBatches.set(sock, (b = new ReceiveBatch(DATAGRAMS_PER_READ, DATAGRAM_BYTES)));
  return b;
}
