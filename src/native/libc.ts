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
  /** `ssize_t send(int sockfd, const void *buf, size_t len, int flags);` send(2): bytes sent, or -1 and errno. */
  send: (sockfd: number, buf: Buffer, len: number, flags: number) => number;
  /**
   * `ssize_t recv(int sockfd, void *buf, size_t len, int flags);` recv(2): bytes received, or -1
   * and errno. `recv.async(...args, callback)` runs it on a libuv pool thread; koffi saves that
   * thread's errno for the callback's `errno()`.
   */
  recv: KoffiFunc<(sockfd: number, buf: Buffer, len: number, flags: number) => number>;
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

let loaded: Promise<Libc> | undefined;

export function loadLibc(): Promise<Libc> {
  loaded ??= import('koffi').then(({ default: koffi }) => {
    const lib = koffi.load('libc.so.6');
    // koffi types a bound function as (...args: any[]) => any: each binding's type is the one
    // declared in Libc, written from the same prototype as the string beside it. koffi knows no
    // ssize_t or socklen_t: they are long and uint32_t on Linux (LP64).
    return {
      socket: lib.func('int socket(int domain, int type, int protocol)'),
      send: lib.func('long send(int sockfd, const void *buf, size_t len, int flags)'),
      recv: lib.func('long recv(int sockfd, void *buf, size_t len, int flags)'),
      close: lib.func('int close(int fd)'),
      setsockopt: lib.func('int setsockopt(int sockfd, int level, int optname, const void *optval, uint32_t optlen)'),
      setns: lib.func('int setns(int fd, int nstype)'),
      _exit: lib.func('void _exit(int status)'),
      errno: () => koffi.errno(),
    };
  });
  return loaded;
}
