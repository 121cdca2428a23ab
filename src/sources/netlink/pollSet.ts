/**
 * struct pollfd (<poll.h>, poll(2)): `int fd; short events; short revents;`, 8 bytes, host byte
 * order (little-endian on the platforms koffi ships for).
 */
export const POLLFD_BYTES = 8;
const EVENTS = 4;
const REVENTS = 6;
/** There is data to read. The kernel may also set POLLERR, POLLHUP or POLLNVAL, unasked: a read then says what happened. */
export const POLLIN = 0x1;

/**
 * The descriptors one poll(2) at a time waits on (sources/netlink/namespaceDestroyEvents.ts), as
 * the struct pollfd array poll() takes, and the rule that keeps a descriptor alive while a poll
 * in flight on a pool thread holds it: closing it then would leave the kernel polling a number
 * the next open() may reuse. A member removed during a poll is handed back by end(), to be closed
 * then. Pure bookkeeping: it never calls the kernel.
 */
export class PollSet {
  private readonly members = new Set<number>();
  /** The descriptors of the poll in flight, in the order of its array; null while none is. */
  private polling: number[] | null = null;
  /** Removed while the poll in flight held them. */
  private deferred: number[] = [];
  private buffer = Buffer.alloc(0);

  get size(): number {
    return this.members.size;
  }

  /** Whether a poll is in flight (between begin() and end()). */
  get inFlight(): boolean {
    return this.polling !== null;
  }

  has(fd: number): boolean {
    return this.members.has(fd);
  }

  /** Adds a descriptor; the poll in flight, if any, does not see it, the next one does. */
  add(fd: number): void {
    if (!Number.isInteger(fd) || fd < 0) throw new Error(`not a descriptor: ${fd}`);
    if (this.deferred.includes(fd)) throw new Error(`descriptor ${fd} was removed and is not closed yet`);
    this.members.add(fd);
  }

  /**
   * Takes a descriptor out of the set: true when it may be closed now; false when the poll in
   * flight holds it, and end() hands it back. False too for one that was not a member (nothing to close).
   */
  remove(fd: number): boolean {
    if (!this.members.delete(fd)) return false;
    if (this.polling?.includes(fd)) {
      this.deferred.push(fd);
      return false;
    }
    return true;
  }

  /**
   * The array for the next poll(): one struct pollfd per member, asking for POLLIN. The buffer is
   * this set's and must stay untouched until end(). Errors: a poll already in flight.
   */
  begin(): { pollfds: Buffer; count: number } {
    if (this.polling) throw new Error('a poll is already in flight');
    const fds = [...this.members];
    const bytes = fds.length * POLLFD_BYTES;
    if (this.buffer.length < bytes) this.buffer = Buffer.alloc(Math.max(bytes, 2 * this.buffer.length));
    const b = this.buffer;
    fds.forEach((fd, i) => {
      const at = i * POLLFD_BYTES;
      b.writeInt32LE(fd, at);
      b.writeInt16LE(POLLIN, at + EVENTS);
      b.writeInt16LE(0, at + REVENTS);
    });
    this.polling = fds;
    return { pollfds: b, count: fds.length };
  }

  /**
   * The poll returned (or failed: then no revents are set). `ready`: the members still in the set
   * whose revents the kernel set, in array order; `closable`: those removed while it ran, now
   * safe to close. Errors: no poll in flight.
   */
  end(): { ready: number[]; closable: number[] } {
    const fds = this.polling;
    if (!fds) throw new Error('no poll in flight');
    const ready: number[] = [];
    fds.forEach((fd, i) => {
      if (this.buffer.readInt16LE(i * POLLFD_BYTES + REVENTS) !== 0 && this.members.has(fd)) ready.push(fd);
    });
    const closable = this.deferred;
    this.deferred = [];
    this.polling = null;
    return { ready, closable };
  }
}
