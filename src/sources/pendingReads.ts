/**
 * The file operations under way on libuv's thread pool (open, read and statfs of files under
 * --path.procfs). A read that never returns (a FIFO nobody writes, a dead NFS or FUSE server, a
 * wedged kernel lock) holds one of the pool's threads (4 by default, shared with netlink recv()
 * and gzip) until it does; this registry is how the exporter knows which, and for how long.
 */
export type FileOperation = 'stat' | 'statfs' | 'open' | 'read';

export interface PendingRead {
  readonly path: string;
  readonly op: FileOperation;
  /** When the operation was handed to the pool, in ms since the epoch. */
  readonly sinceMs: number;
}

export class PendingReads {
  private readonly ops = new Set<PendingRead>();

  /** Runs `start` (which hands one operation to the pool) and keeps it listed until it settles. */
  track<T>(path: string, op: FileOperation, start: () => Promise<T>): Promise<T> {
    const entry: PendingRead = { path, op, sinceMs: Date.now() };
    this.ops.add(entry);
    let running: Promise<T>;
    try {
      running = start();
    } catch (err) {
      this.ops.delete(entry);
      throw err;
    }
    const done = (): void => void this.ops.delete(entry);
    running.then(done, done);
    return running;
  }

  /** The operations under way, oldest first (copies: the caller may keep them). */
  list(): PendingRead[] {
    return [...this.ops].sort((a, b) => a.sinceMs - b.sinceMs).map((r) => ({ ...r }));
  }

  get size(): number {
    return this.ops.size;
  }
}

/** One registry for the process: the pool it accounts for is process-wide too. */
export const pendingReads = new PendingReads();
