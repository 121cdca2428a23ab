import { viewOf } from '../../parse/inetDiag.js';

/** struct mmsghdr (<sys/socket.h>, LP64): a struct msghdr (56 bytes), then unsigned int msg_len, padded to 64. */
const MMSGHDR_BYTES = 64;
/** Offsets inside struct msghdr: msg_iov (struct iovec *) and msg_iovlen (size_t). */
const MSG_IOV = 16;
const MSG_IOVLEN = 24;
/** Offset of msg_len in struct mmsghdr: the bytes recvmmsg(2) received into that message. */
const MSG_LEN = 56;
/** struct iovec: void *iov_base, size_t iov_len. */
const IOVEC_BYTES = 16;
/**
 * The vector's memory: at least this long, so V8 keeps it off its heap. A typed array of up to 64
 * bytes may live on V8's heap, where a garbage collection moves it: the kernel would then write
 * where the pointers in the vector no longer lead.
 */
const MIN_VECTOR_BYTES = 4096;

/**
 * Slots for the datagrams of one recvmmsg(2) call (NetlinkSocket.receiveQueued): `capacity`
 * buffers of `slotBytes`, each with a DataView for the parser, and the length of each datagram
 * the last call received. The struct mmsghdr vector the kernel reads its pointers from is built
 * on the first call, by the socket that knows the buffers' addresses (mmsgVector()).
 *
 * Why two datagrams a call and not one (docs/performance.md, "two datagrams a read"): a syscall
 * costs ~1.6 µs on the benchmark VM and a koffi call ~0.7 µs more, 12,600 times a 1M-socket walk
 * with tcp_info; the kernel fills each datagram inside the read of the one before
 * (netlink_recvmsg() calls netlink_dump()), so a second is always there to take. Eight a call cost
 * more than they saved: 256 KiB of buffers are out of the CPU's cache when the kernel copies into
 * them.
 */
export class ReceiveBatch {
  readonly slots: readonly Buffer[];
  readonly views: readonly DataView[];
  /** Bytes of datagram i of the last call: its full length (MSG_TRUNC), more than slotBytes when its end was cut off. */
  readonly lengths: Uint32Array;
  private vector: Buffer | undefined;

  constructor(
    readonly capacity: number,
    readonly slotBytes: number,
  ) {
    this.slots = Array.from({ length: capacity }, () => Buffer.alloc(slotBytes));
    this.views = this.slots.map(viewOf);
    this.lengths = new Uint32Array(capacity);
  }

  /**
   * struct mmsghdr[capacity], each with one struct iovec over its slot, in memory of our own that
   * V8 never moves; built on the first call with `addressOf` (the address of a Buffer's bytes).
   * After recvmmsg(2), receivedLength(vector, i) is the length of datagram i.
   */
  mmsgVector(addressOf: (buf: Buffer) => bigint): Buffer {
    if (this.vector) return this.vector;
    const iovecsAt = this.capacity * MMSGHDR_BYTES;
    const vector = Buffer.alloc(Math.max(MIN_VECTOR_BYTES, iovecsAt + this.capacity * IOVEC_BYTES));
    const base = addressOf(vector);
    this.slots.forEach((slot, i) => {
      const iov = iovecsAt + i * IOVEC_BYTES;
      vector.writeBigUInt64LE(addressOf(slot), iov);
      vector.writeBigUInt64LE(BigInt(slot.length), iov + 8);
      vector.writeBigUInt64LE(base + BigInt(iov), i * MMSGHDR_BYTES + MSG_IOV);
      vector.writeBigUInt64LE(1n, i * MMSGHDR_BYTES + MSG_IOVLEN);
    });
    return (this.vector = vector);
  }
}

/** msg_len of message i of a vector recvmmsg(2) filled. */
export function receivedLength(vector: Buffer, i: number): number {
  return vector.readUInt32LE(i * MMSGHDR_BYTES + MSG_LEN);
}
