import { closeSync, openSync } from 'node:fs';
import { errnoText } from '../../model/errno.js';
import { loadLibc, type Libc } from '../../native/libc.js';
/**
 * The few libc calls a sock_diag dump needs (libc itself: native/libc.ts). Bound lazily: hosts
 * that never use netlink (fixtures, non-Linux) never bind them.
 */
const AF_NETLINK = 16;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const NETLINK_SOCK_DIAG = 4;
const SOL_SOCKET = 1;
const SO_RCVTIMEO = 20;
const CLONE_NEWNET = 0x40000000;

export interface NetlinkSocket {
  send(buf: Buffer): void;
  /**
   * Bytes received into buf. The recv() runs on a libuv thread-pool thread, so the kernel's
   * part of a dump (walking its hash tables, filling the datagram) never blocks the event loop;
   * buf must not be touched until the promise settles.
   */
  recv(buf: Buffer): Promise<number>;
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
  const own = openSync('/proc/thread-self/ns/net', 'r');
  let target: number | undefined;
  try {
    target = openSync(netnsPath, 'r');
    if (c.setns(target, CLONE_NEWNET) !== 0) throw new NetlinkError('setns', c.errno());
    let fd: number;
    try {
      fd = newSockDiagFd(c);
    } finally {
      if (c.setns(own, CLONE_NEWNET) !== 0) {
        // Unreachable in practice (we hold our own namespace open and just had the right to
        // switch); staying in a foreign namespace would silently report the wrong sockets.
        process.stderr.write(`tcpstate-exporter: fatal: cannot return to the own network namespace (${errnoText(c.errno())})\n`);
        process.exit(70);
      }
    }
    return wrap(c, fd, timeoutMs);
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

function wrap(c: Libc, fd: number, timeoutMs: number): NetlinkSocket {
  const tv = Buffer.alloc(16);
  tv.writeBigInt64LE(BigInt(Math.floor(timeoutMs / 1000)), 0);
  tv.writeBigInt64LE(BigInt((timeoutMs % 1000) * 1000), 8);
  c.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, tv, tv.length);
  return {
    send(buf) {
      if (c.send(fd, buf, buf.length, 0) !== buf.length) throw new NetlinkError('send', c.errno());
    },
    async recv(buf) {
      const { bytes, errno } = await c.recvOnPool(fd, buf, buf.length, 0);
      if (bytes < 0) throw new NetlinkError('recv', errno);
      return bytes;
    },
    close() {
      c.close(fd);
    },
  };
}
