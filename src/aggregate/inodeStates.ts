import type { SocketRecord, SocketSink } from '../model/socketRecord.js';

const STATE_BITS = 16;

/**
 * The state of every socket that has an inode (TIME_WAIT and other sockets no process holds
 * have inode 0), for joining with the processes' descriptor tables. One float per socket,
 * inode x 16 + state, sorted once and binary-searched: 8 bytes per socket, with no object per
 * socket and one buffer reused from scan to scan.
 */
export class InodeStates implements SocketSink {
  private packed = new Float64Array(4096);
  private count = 0;
  private sorted = false;

  reset(): void {
    // Give memory back after a spike, but keep the buffer while the table stays about this size.
    if (this.packed.length > 65_536 && this.count < this.packed.length / 4) this.packed = new Float64Array(this.packed.length / 2);
    this.count = 0;
    this.sorted = false;
  }

  add(s: Readonly<SocketRecord>): void {
    if (s.inode === 0) return;
    if (this.count === this.packed.length) {
      const bigger = new Float64Array(this.packed.length * 2);
      bigger.set(this.packed);
      this.packed = bigger;
    }
    this.packed[this.count++] = s.inode * STATE_BITS + s.state;
  }

  get size(): number {
    return this.count;
  }

  /** Index of the socket with this inode, or -1. Sorts on first use after the walk. */
  indexOf(inode: number): number {
    if (!this.sorted) {
      this.packed.subarray(0, this.count).sort();
      this.sorted = true;
    }
    const key = inode * STATE_BITS;
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.packed[mid]! < key) lo = mid + 1;
      else hi = mid;
    }
    return lo < this.count && Math.floor(this.packed[lo]! / STATE_BITS) === inode ? lo : -1;
  }

  stateAt(index: number): number {
    return this.packed[index]! % STATE_BITS;
  }
}
