import type { KoffiFunc } from 'koffi';

/**
 * The libc calls the exporter makes, each typed exactly beside its C prototype (from its man
 * page) and bound through koffi with that prototype: an FFI whose npm package ships prebuilt
 * binaries, so nothing is compiled at install. Opened once on first use and shared by every
 * caller (the netlink sockets, the exit that must not wait for a hung read); loaded lazily, so a
 * process that needs neither (fixtures, non-Linux) never loads koffi at all.
 *
 * How koffi converts: C `int` is a JS number; `ssize_t`/`size_t` (64-bit here) is a number as
 * long as it is below 2^53, which every value here is (at most a buffer's length, or -1); a
 * `const void *` parameter takes a Buffer, whose memory is passed as is.
 */
export interface Libc {
  /** `int socket(int domain, int type, int protocol);` socket(2): the new descriptor, or -1 and errno. */
  socket: (domain: number, type: number, protocol: number) => number;
  /**
   * `ssize_t send(int sockfd, const void *buf, size_t len, int flags);` send(2), run on a libuv pool
   * thread: a sock_diag dump request does the dump's first fill inside the call (netlink_dump_start()
   * calls netlink_dump()), and for a family absent from a large table that fill walks every bucket
   * of the established hash the two families share (100–250 ms at 1M IPv4 sockets, for the IPv6
   * pass: strace -T), time the event loop must not be held. `result`: bytes sent, or -1 with errno.
   */
  sendOnPool: (sockfd: number, buf: Buffer, len: number, flags: number) => Promise<PoolResult>;
  /**
   * `ssize_t recv(int sockfd, void *buf, size_t len, int flags);` recv(2), run on a libuv pool
   * thread (koffi's asynchronous call) so a blocking read never holds the event loop: `result` is
   * the bytes received, or -1 with the `errno` that thread's call left (PoolResult).
   */
  recvOnPool: (sockfd: number, buf: Buffer, len: number, flags: number) => Promise<PoolResult>;
  /**
   * `ssize_t recv(int sockfd, void *buf, size_t len, int flags);` recv(2) on this thread: for
   * MSG_DONTWAIT reads of what is already queued (never waits then; a sock_diag dump's read takes
   * as long as the kernel's fill of the next datagram). Bytes, or -1 and errno.
   */
  recv: (sockfd: number, buf: Buffer, len: number, flags: number) => number;
  /**
   * `int recvmmsg(int sockfd, struct mmsghdr *msgvec, unsigned int vlen, int flags, struct timespec *timeout);`
   * recvmmsg(2) on this thread, with no timeout (null): up to `vlen` datagrams in one call. `msgvec`
   * is raw memory holding vlen struct mmsghdr whose iovecs point at buffers by address (see
   * ReceiveBatch): V8 must never move any of it. The number of messages received (their msg_len
   * filled in), or -1 and errno.
   */
  recvmmsg: (sockfd: number, msgvec: Buffer, vlen: number, flags: number, timeout: null) => number;
  /** The address of a Buffer's bytes (koffi.address()), for pointers written into raw structs. */
  addressOf: (buf: Buffer) => bigint;
  /**
   * `int poll(struct pollfd *fds, nfds_t nfds, int timeout);` poll(2), run on a libuv pool thread
   * (koffi's asynchronous call), so one thread waits for any of many descriptors. `fds` holds `nfds`
   * struct pollfd of 8 bytes each (`int fd; short events; short revents;`, host byte order), whose
   * revents the kernel fills: it must not be touched until the promise settles. `result`: entries
   * with revents set, 0 when `timeout` (ms) passed, or -1 and errno (PoolResult).
   */
  pollOnPool: (fds: Buffer, nfds: number, timeout: number) => Promise<PoolResult>;
  /** `int bind(int sockfd, const struct sockaddr *addr, socklen_t addrlen);` bind(2): 0, or -1 and errno. */
  bind: (sockfd: number, addr: Buffer, addrlen: number) => number;
  /**
   * `int getsockopt(int sockfd, int level, int optname, void *optval, socklen_t *optlen);`
   * getsockopt(2): 0, or -1 and errno. `optlen` holds one socklen_t: the size of optval on the
   * way in, the size the kernel wrote on the way out.
   */
  getsockopt: (sockfd: number, level: number, optname: number, optval: Buffer, optlen: Uint32Array) => number;
  /** `int close(int fd);` close(2): 0, or -1 and errno. */
  close: (fd: number) => number;
  /** `int setsockopt(int sockfd, int level, int optname, const void *optval, socklen_t optlen);` setsockopt(2): 0, or -1 and errno. */
  setsockopt: (sockfd: number, level: number, optname: number, optval: Buffer, optlen: number) => number;
  /** `int setns(int fd, int nstype);` setns(2): moves the calling thread into a namespace; 0, or -1 and errno. */
  setns: (fd: number, nstype: number) => number;
  /** `[[noreturn]] void _exit(int status);` _exit(2): ends the process at once, without exit handlers. */
  _exit: (status: number) => void;
  /** errno as the last call through koffi on this thread left it. */
  errno: () => number;
}

/**
 * What a call made on a libuv pool thread returned, and the errno that thread's call left when
 * `result` is -1 (0 otherwise): koffi saves it for the completion, where it is read before any
 * other call through koffi can change it. The promise rejects only when koffi cannot make the call.
 */
export interface PoolResult {
  result: number;
  errno: number;
}

let loaded: Promise<Libc> | undefined;

export function loadLibc(): Promise<Libc> {
  loaded ??= import('koffi').then(({ default: koffi }) => {
    const lib = koffi.load('libc.so.6');
    // koffi types a bound function as (...args: any[]) => any: each binding's type is the one
    // declared in Libc, written from the same prototype as the string beside it. koffi knows no
    // ssize_t or socklen_t: they are long and uint32_t on Linux (LP64).
    return {
      socket: lib.func('int socket(int domain, int type, int protocol)'),
      sendOnPool: onPool<[number, Buffer, number, number]>(lib.func('long send(int sockfd, const void *buf, size_t len, int flags)'), () => koffi.errno()),
      recvOnPool: onPool<[number, Buffer, number, number]>(lib.func('long recv(int sockfd, void *buf, size_t len, int flags)'), () => koffi.errno()),
      // nfds_t is unsigned long (<poll.h>); struct pollfd goes as raw memory, filled in place.
      pollOnPool: onPool<[Buffer, number, number]>(lib.func('int poll(void *fds, unsigned long nfds, int timeout)'), () => koffi.errno()),
      recv: lib.func('long recv(int sockfd, void *buf, size_t len, int flags)'),
      recvmmsg: lib.func('int recvmmsg(int sockfd, void *msgvec, unsigned int vlen, int flags, void *timeout)'),
      addressOf: (buf: Buffer) => koffi.address(buf),
      bind: lib.func('int bind(int sockfd, const void *addr, uint32_t addrlen)'),
      getsockopt: lib.func('int getsockopt(int sockfd, int level, int optname, void *optval, _Inout_ uint32_t *optlen)'),
      close: lib.func('int close(int fd)'),
      setsockopt: lib.func('int setsockopt(int sockfd, int level, int optname, const void *optval, uint32_t optlen)'),
      setns: lib.func('int setns(int fd, int nstype)'),
      _exit: lib.func('void _exit(int status)'),
      errno: () => koffi.errno(),
    };
  });
  return loaded;
}

/** A C function that returns a number, called on a libuv pool thread (koffi's `.async`): the result with the errno of a -1 (PoolResult). */
function onPool<A extends unknown[]>(f: KoffiFunc<(...args: A) => number>, errno: () => number): (...args: A) => Promise<PoolResult> {
  return (...args) =>
    new Promise((resolve, reject) => {
      const callback = (err: unknown, result: number): void => {
        if (err) reject(err instanceof Error ? err : new Error(String(err)));
        else resolve({ result, errno: result < 0 ? errno() : 0 });
      };
      // koffi's .async takes the C arguments then the callback; its declared tuple cannot be
      // spread from a generic one, so the call goes through Function.prototype.apply.
      (f.async as (...a: unknown[]) => void).apply(f, [...args, callback]);
    });
}
