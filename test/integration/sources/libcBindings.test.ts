import { describe, expect, it } from 'vitest';
import { loadLibc } from '../../../src/native/libc.js';

// Linux values (include/uapi/linux/netlink.h, asm-generic/errno-base.h, asm-generic/socket.h).
const AF_NETLINK = 16;
const SOCK_DGRAM = 2;
const NETLINK_SOCK_DIAG = 4;
const SOL_SOCKET = 1;
const SO_RCVTIMEO = 20;
const SO_RCVBUF = 8;
const MSG_DONTWAIT = 0x40;
const EBADF = 9;
const EAGAIN = 11;

/**
 * Each binding returns what its TypeScript signature says, so callers compare results directly
 * (no Number(...)): a wrong prototype string (void where C returns int, a 64-bit type returned
 * as BigInt) fails here rather than as a silently wrong comparison in the netlink path.
 */
describe.runIf(process.platform === 'linux')('libc bindings (src/native/libc.ts)', async () => {
  const c = await loadLibc();

  it('socket, setsockopt and close return C ints as numbers: a descriptor, then 0', () => {
    const fd = c.socket(AF_NETLINK, SOCK_DGRAM, NETLINK_SOCK_DIAG);
    expect(typeof fd).toBe('number');
    expect(fd).toBeGreaterThanOrEqual(0);
    const tv = Buffer.alloc(16);
    tv.writeBigInt64LE(1n, 0);
    expect(c.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, tv, tv.length)).toBe(0);
    expect(c.close(fd)).toBe(0);
  });

  it('send and recv return ssize_t as a number, -1 with errno on a bad descriptor', async () => {
    const buf = Buffer.alloc(8);
    expect(await c.sendOnPool(-1, buf, buf.length, 0)).toEqual({ result: -1, errno: EBADF });
    expect(await c.recvOnPool(-1, buf, buf.length, 0)).toEqual({ result: -1, errno: EBADF });
    expect(c.close(-1)).toBe(-1);
    expect(c.errno()).toBe(EBADF);
  });

  it('bind, getsockopt and the non-blocking recv of the destroy events: numbers, the option length written back', () => {
    const fd = c.socket(AF_NETLINK, SOCK_DGRAM, NETLINK_SOCK_DIAG);
    try {
      const addr = Buffer.alloc(12); // struct sockaddr_nl, groups 1 and 3 (the TCP destroy groups)
      addr.writeUInt16LE(AF_NETLINK, 0);
      addr.writeUInt32LE(0b101, 8);
      expect(c.bind(fd, addr, addr.length)).toBe(0);
      const rcvbuf = Buffer.alloc(8);
      const len = new Uint32Array([rcvbuf.length]);
      expect(c.getsockopt(fd, SOL_SOCKET, SO_RCVBUF, rcvbuf, len)).toBe(0);
      expect(len[0]).toBe(4); // an int: the kernel says how much it wrote
      expect(rcvbuf.readInt32LE(0)).toBeGreaterThan(0);
      const buf = Buffer.alloc(64);
      expect(c.recv(fd, buf, buf.length, MSG_DONTWAIT)).toBe(-1); // nothing queued
      expect(c.errno()).toBe(EAGAIN);
    } finally {
      c.close(fd);
    }
    expect(c.bind(-1, Buffer.alloc(12), 12)).toBe(-1);
    expect(c.errno()).toBe(EBADF);
  });

  it('setns returns -1 and EBADF for a descriptor that is no namespace', () => {
    expect(c.setns(-1, 0)).toBe(-1);
    expect(c.errno()).toBe(EBADF);
  });

  it('is loaded once and shared', async () => {
    expect(await loadLibc()).toBe(c);
  });
});
