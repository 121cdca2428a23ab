import { closeSync, openSync } from 'node:fs';
import { errnoText } from '../../model/errno.js';
import { loadLibc, type Libc } from '../../native/libc.js';
import { receivedLength, type ReceiveBatch } from './receiveBatch.js';
/**
 * The few libc calls a sock_diag dump and the socket destroy events need (libc itself:
 * native/libc.ts). Bound lazily: hosts that never use netlink (fixtures, non-Linux) never bind them.
 */
const AF_NETLINK = 16;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const NETLINK_SOCK_DIAG = 4;
const SOL_SOCKET = 1;
const SO_RCVBUF = 8;
const SO_RCVTIMEO = 20;
const SO_RCVBUFFORCE = 33;
const SO_MEMINFO = 55;
/** SK_MEMINFO_DROPS (include/uapi/linux/sock_diag.h): the socket's sk_drops, 9th of SK_MEMINFO_VARS u32s. */
const SK_MEMINFO_DROPS = 8;
const SOL_NETLINK = 270;
const NETLINK_NO_ENOBUFS = 5;
const MSG_TRUNC = 0x20;
const MSG_DONTWAIT = 0x40;
const EINTR = 4;
const EAGAIN = 11;
/** enum sknetlink_groups (include/uapi/linux/sock_diag.h), as bits of sockaddr_nl.nl_groups (bit group - 1). */
const SKNLGRP_INET_TCP_DESTROY = 1;
const SKNLGRP_INET6_TCP_DESTROY = 3;
const CLONE_NEWNET = 0x40000000;

export interface NetlinkSocket {
  /** Sends a request (send(2) on a pool thread, see Libc.sendOnPool). Errors: NetlinkError. */
  send(buf: Buffer): Promise<void>;
  /**
   * The datagrams already queued, up to batch.capacity, into the batch's slots in one recvmmsg(2)
   * with MSG_DONTWAIT: how many (datagram i is batch.slots[i][0, batch.lengths[i]); a length is
   * the datagram's full one, MSG_TRUNC, more than the slot when its end did not fit), 0 when none
   * is queued. During a dump one always is until its end: the kernel fills the next datagram
   * inside each read (netlink_recvmsg() calls netlink_dump()), which is the time this call takes,
   * once per datagram received. Errors: NetlinkError.
   */
  receiveQueued(batch: ReceiveBatch): number;
  /**
   * As receiveQueued, but waiting for the datagram on a libuv pool thread (recv(2) blocking, so the
   * kernel's part never holds the event loop); `buf` must not be touched until the promise
   * settles. Errors: NetlinkError (EAGAIN: the receive timeout passed with nothing).
   */
  receiveWaiting(buf: Buffer): Promise<number>;
  /** Closes the socket; only once no receiveWaiting() is in flight. */
  close(): void;
}

/** A libc call of the netlink path failed; the message names the errno (`EPERM: Operation not permitted`). */
export class NetlinkError extends Error {
  constructor(
    readonly call: string,
    readonly errno: number,
  ) {
    super(`netlink ${call} failed: ${errnoText(errno)}`);
  }
}

/** Opens a NETLINK_SOCK_DIAG socket whose reads give up after `timeoutMs` instead of blocking forever. */
export async function openSockDiag(timeoutMs = 2000): Promise<NetlinkSocket> {
  const c = await loadLibc();
  return wrap(c, newSockDiagFd(c), timeoutMs);
}

/**
 * Opens a NETLINK_SOCK_DIAG socket in another network namespace (`netnsPath`, e.g.
 * /proc/<pid>/ns/net; needs CAP_SYS_ADMIN): this thread enters the namespace, creates the socket
 * (a socket belongs to the namespace it was created in, for its whole life) and returns to its
 * own namespace before anything else runs. All of it is synchronous, so no other code of this
 * process ever runs in the foreign namespace.
 */
export async function openSockDiagIn(netnsPath: string, timeoutMs = 2000): Promise<NetlinkSocket> {
  const c = await loadLibc();
  return wrap(c, createInNamespace(c, netnsPath), timeoutMs);
}

/**
 * A new NETLINK_SOCK_DIAG descriptor of the network namespace at `netnsPath`: this thread enters
 * it, creates the socket and returns to its own namespace, synchronously. Errors: NetlinkError
 * ('setns' EPERM without CAP_SYS_ADMIN, EINVAL for a file that is no network namespace), or the
 * fs error of opening `netnsPath` (ENOENT: its process exited).
 */
function createInNamespace(c: Libc, netnsPath: string): number {
  const own = openSync('/proc/thread-self/ns/net', 'r');
  let target: number | undefined;
  try {
    target = openSync(netnsPath, 'r');
    if (c.setns(target, CLONE_NEWNET) !== 0) throw new NetlinkError('setns', c.errno());
    try {
      return newSockDiagFd(c);
    } finally {
      if (c.setns(own, CLONE_NEWNET) !== 0) {
        // Unreachable in practice (we hold our own namespace open and just had the right to
        // switch); staying in a foreign namespace would silently report the wrong sockets.
        process.stderr.write(`tcpstate-exporter: fatal: cannot return to the own network namespace (${errnoText(c.errno())})\n`);
        process.exit(70);
      }
    }
  } finally {
    closeSync(own);
    if (target !== undefined) closeSync(target);
  }
}

function newSockDiagFd(c: Libc): number {
  const fd = c.socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) throw new NetlinkError('socket', c.errno());
  return fd;
}

/** SO_RCVTIMEO: a struct timeval, two 64-bit longs (LP64, the platforms koffi ships for). */
function setReceiveTimeout(c: Libc, fd: number, timeoutMs: number): void {
  const tv = Buffer.alloc(16);
  tv.writeBigInt64LE(BigInt(Math.floor(timeoutMs / 1000)), 0);
  tv.writeBigInt64LE(BigInt((timeoutMs % 1000) * 1000), 8);
  c.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, tv, tv.length);
}

function wrap(c: Libc, fd: number, timeoutMs: number): NetlinkSocket {
  setReceiveTimeout(c, fd, timeoutMs);
  return {
    async send(buf) {
      const { result, errno } = await c.sendOnPool(fd, buf, buf.length, 0);
      if (result !== buf.length) throw new NetlinkError('send', errno);
    },
    receiveQueued(batch) {
      const vector = batch.mmsgVector(c.addressOf);
      const got = c.recvmmsg(fd, vector, batch.capacity, MSG_DONTWAIT | MSG_TRUNC, null);
      if (got < 0) {
        const errno = c.errno();
        if (errno === EAGAIN) return 0;
        throw new NetlinkError('recvmmsg', errno);
      }
      for (let i = 0; i < got; i++) batch.lengths[i] = receivedLength(vector, i);
      return got;
    },
    async receiveWaiting(buf) {
      for (;;) {
        const { result, errno } = await c.recvOnPool(fd, buf, buf.length, MSG_TRUNC);
        if (result >= 0) return result;
        // With a receive timeout set, a process stopped and continued gets EINTR even without a
        // handler (signal(7)): the datagram is still to come, so wait again.
        if (errno !== EINTR) throw new NetlinkError('recv', errno);
      }
    },
    close() {
      c.close(fd);
    },
  };
}

/** A set of receive slots for SockDiagEventSocket.receive(). */
export interface DatagramBatch {
  /** Every slot; datagram i of the last receive() is bytes[offset(i), offset(i) + length(i)). */
  readonly bytes: Buffer;
  readonly capacity: number;
  offset(i: number): number;
  length(i: number): number;
  /** Whether datagram i was longer than its slot (MSG_TRUNC): its end is missing. */
  truncated(i: number): boolean;
}

export interface SockDiagEventSocket {
  /**
   * Waits on a libuv pool thread for the next datagram (recv(), as the dumps wait), then takes
   * every datagram already queued, up to the batch's capacity, with non-blocking recv()s on this
   * thread: one event-loop turn per batch, not per event. Resolves with how many arrived; 0 when
   * the wait timed out (the socket's SO_RCVTIMEO) or was interrupted (with a receive timeout, a
   * process stopped and continued gets EINTR even without a handler, signal(7)). The batch must not
   * be read or reused before this settles.
   */
  receive(batch: DatagramBatch): Promise<number>;
  /** A batch of `slots` slots of `slotBytes` each. */
  newBatch(slots: number, slotBytes: number): DatagramBatch;
  /**
   * Messages the kernel dropped for this socket since it was opened: its sk_drops (SO_MEMINFO),
   * which netlink_overrun() increments for every multicast message that did not fit in the
   * receive buffer.
   */
  drops(): number;
  /** The receive buffer the kernel granted (SO_RCVBUF: twice the request, capped by net.core.rmem_max without CAP_NET_ADMIN). */
  receiveBufferBytes(): number;
  /** Closes the socket; only once no receive() is in flight. */
  close(): void;
}

/** An event socket waited on with others (pollSockets) instead of by a receive() of its own. */
export interface PollableEventSocket extends SockDiagEventSocket {
  /** The descriptor, for poll(2); never to be closed but through close(). */
  readonly fd: number;
  /**
   * Takes the datagrams already queued, up to the batch's capacity, with non-blocking recv()s on
   * this thread (never blocks): how many, 0 when none. Errors: NetlinkError('recv').
   */
  receiveQueued(batch: DatagramBatch): number;
}

export interface SockDiagEventOptions {
  /** SO_RCVBUF to ask for, in bytes (the kernel doubles it for its bookkeeping, and caps it). */
  receiveBufferBytes: number;
  /** How long a receive() waits before resolving 0, so a close never waits longer. */
  timeoutMs: number;
}

/**
 * Opens a NETLINK_SOCK_DIAG socket bound to the TCP socket destroy groups of this network namespace
 * (SKNLGRP_INET_TCP_DESTROY and SKNLGRP_INET6_TCP_DESTROY; no capability needed: sock_diag's
 * netlink kernel socket is NL_CFG_F_NONROOT_RECV). The groups are joined by bind(): an unbound
 * netlink socket has port id 0, the kernel's own, and do_one_broadcast() skips the sender's port
 * id, so it would get nothing. NETLINK_NO_ENOBUFS keeps an overrun from turning into an ENOBUFS
 * error and a congested socket that drops everything until it is drained: a message that does not
 * fit is dropped and counted in sk_drops, which drops() reads, and the next one is delivered.
 * Errors: NetlinkError naming the call and errno.
 */
export async function openSockDiagEvents(options: SockDiagEventOptions): Promise<SockDiagEventSocket> {
  const c = await loadLibc();
  return setUpEventSocket(c, newSockDiagFd(c), options);
}

/**
 * As openSockDiagEvents, for the network namespace at `netnsPath` (e.g. /proc/<pid>/ns/net; needs
 * CAP_SYS_ADMIN): the socket is created inside it, as openSockDiagIn's, and so receives that
 * namespace's destroy events for its whole life; the rest is set up from our own. Errors: those
 * of createInNamespace (NetlinkError 'setns' EPERM when refused), then those of openSockDiagEvents.
 */
export async function openSockDiagEventsIn(netnsPath: string, options: SockDiagEventOptions): Promise<PollableEventSocket> {
  const c = await loadLibc();
  return setUpEventSocket(c, createInNamespace(c, netnsPath), options);
}

/** Binds `fd` to the destroy groups and sets its options (openSockDiagEvents); closes it on error. */
function setUpEventSocket(c: Libc, fd: number, options: SockDiagEventOptions): PollableEventSocket {
  try {
    const addr = Buffer.alloc(12); // struct sockaddr_nl: u16 family, u16 pad, u32 pid (0: the kernel picks), u32 groups
    addr.writeUInt16LE(AF_NETLINK, 0);
    addr.writeUInt32LE((1 << (SKNLGRP_INET_TCP_DESTROY - 1)) | (1 << (SKNLGRP_INET6_TCP_DESTROY - 1)), 8);
    if (c.bind(fd, addr, addr.length) !== 0) throw new NetlinkError('bind', c.errno());
    const size = int32(Math.min(options.receiveBufferBytes, 0x3fffffff));
    // SO_RCVBUFFORCE passes net.core.rmem_max with CAP_NET_ADMIN; without it, SO_RCVBUF is capped there.
    if (c.setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, size, 4) !== 0 && c.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, size, 4) !== 0) {
      throw new NetlinkError('setsockopt(SO_RCVBUF)', c.errno());
    }
    if (c.setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, int32(1), 4) !== 0) throw new NetlinkError('setsockopt(NETLINK_NO_ENOBUFS)', c.errno());
    setReceiveTimeout(c, fd, options.timeoutMs);
    // Refuse a kernel whose SO_MEMINFO lacks sk_drops (before 4.5): losses would go uncounted.
    if (getsockopt(c, fd, 'SO_MEMINFO', SOL_SOCKET, SO_MEMINFO, MEMINFO_BYTES).length < MEMINFO_BYTES) throw new NetlinkError('getsockopt(SO_MEMINFO): no SK_MEMINFO_DROPS', 0);
    return eventSocket(c, fd);
  } catch (err) {
    c.close(fd);
    throw err;
  }
}

/**
 * Waits on a libuv pool thread, up to `timeoutMs`, until one of the sockets described by `pollfds`
 * (`count` struct pollfd, PollSet) has something to read: poll(2). Resolves with how many entries
 * have revents set, 0 on timeout or EINTR; `pollfds` must not be touched until it settles.
 * Errors: NetlinkError('poll').
 */
export async function pollSockets(pollfds: Buffer, count: number, timeoutMs: number): Promise<number> {
  const c = await loadLibc();
  const { result: ready, errno } = await c.pollOnPool(pollfds, count, timeoutMs);
  if (ready >= 0) return ready;
  if (errno === EINTR) return 0;
  throw new NetlinkError('poll', errno);
}

const MEMINFO_BYTES = 4 * (SK_MEMINFO_DROPS + 1);

function int32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32LE(v);
  return b;
}

function getsockopt(c: Libc, fd: number, name: string, level: number, option: number, bytes: number): Buffer {
  const val = Buffer.alloc(bytes);
  const len = new Uint32Array([bytes]);
  if (c.getsockopt(fd, level, option, val, len) !== 0) throw new NetlinkError(`getsockopt(${name})`, c.errno());
  return val.subarray(0, len[0]);
}

function eventSocket(c: Libc, fd: number): PollableEventSocket {
  /** Non-blocking recv()s of what is queued into slots from..capacity; the slots filled in all. */
  const receiveQueued = (batch: EventBatch, from: number): number => {
    const slot = batch.slotBytes;
    let n = from;
    for (; n < batch.capacity; n++) {
      const at = n * slot;
      const got = c.recv(fd, batch.bytes.subarray(at, at + slot), slot, MSG_DONTWAIT | MSG_TRUNC);
      if (got < 0) {
        const e = c.errno();
        if (e === EAGAIN || e === EINTR) break;
        throw new NetlinkError('recv', e);
      }
      batch.lengths[n] = got;
    }
    return n;
  };
  return {
    fd,
    newBatch(slots, slotBytes) {
      const bytes = Buffer.alloc(slots * slotBytes);
      // The datagram's full length (MSG_TRUNC makes recv() return it even when it did not fit).
      const lengths = new Uint32Array(slots);
      return new EventBatch(bytes, slots, slotBytes, lengths);
    },
    async receive(batch) {
      if (!(batch instanceof EventBatch)) throw new Error('receive() with a batch of another socket');
      const slot = batch.slotBytes;
      const { result: bytes, errno } = await c.recvOnPool(fd, batch.bytes.subarray(0, slot), slot, MSG_TRUNC);
      if (bytes < 0) {
        if (errno === EAGAIN || errno === EINTR) return 0;
        throw new NetlinkError('recv', errno);
      }
      batch.lengths[0] = bytes;
      return receiveQueued(batch, 1);
    },
    receiveQueued(batch) {
      if (!(batch instanceof EventBatch)) throw new Error('receiveQueued() with a batch of another socket');
      return receiveQueued(batch, 0);
    },
    drops() {
      return getsockopt(c, fd, 'SO_MEMINFO', SOL_SOCKET, SO_MEMINFO, MEMINFO_BYTES).readUInt32LE(4 * SK_MEMINFO_DROPS);
    },
    receiveBufferBytes() {
      return getsockopt(c, fd, 'SO_RCVBUF', SOL_SOCKET, SO_RCVBUF, 4).readInt32LE(0);
    },
    close() {
      c.close(fd);
    },
  };
}

class EventBatch implements DatagramBatch {
  constructor(
    readonly bytes: Buffer,
    readonly capacity: number,
    readonly slotBytes: number,
    readonly lengths: Uint32Array,
  ) {}

  offset(i: number): number {
    return i * this.slotBytes;
  }

  length(i: number): number {
    return Math.min(this.lengths[i]!, this.slotBytes);
  }

  truncated(i: number): boolean {
    return this.lengths[i]! > this.slotBytes;
  }
}
