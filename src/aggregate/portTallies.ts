import { STATE_SLOTS } from '../model/tcpState.js';
import { PortSlots, type PortIndex } from './portSlots.js';

/**
 * u32 words per port: the total at 0, the count of each state at its code (1..11), the three
 * keepalive kinds at KEEPALIVE.., one spare: 64 bytes, one cache line.
 */
const STRIDE = 16;
const TOTAL = 0;
const KEEPALIVE = STATE_SLOTS;
/** Dense slots to start with; they double as more ports are seen in a cycle. */
const INITIAL_SLOTS = 64;

/**
 * One role's socket counts per port (server sockets by local port, client sockets by remote port),
 * as the socket aggregator folds them: per port a total, a count per TCP state and a count per
 * keepalive kind of its ESTABLISHED sockets.
 *
 * Each port in use gets a dense slot of one cache line in the order it is first seen, so a socket
 * costs two lines (its port's entry in the PortSlots hash table and its slot) where per-port
 * arrays across the whole port space cost one line per figure; and those lines sit in a few KiB,
 * not scattered over megabytes of which the kernel's walk between two datagrams evicts what it
 * can (docs/performance.md, "per-port state in bytes and bits", "one port lookup"). Memory: 64
 * bytes per port in use, and 8 bytes per port in use for the index (twice that after a doubling).
 */
export class PortTallies {
  private readonly slots = new PortSlots(INITIAL_SLOTS);
  private tallies = new Uint32Array(INITIAL_SLOTS * STRIDE);
  private readonly grow = (slots: number): void => {
    const tallies = new Uint32Array(slots * STRIDE);
    tallies.set(this.tallies);
    this.tallies = tallies;
  };

  /** Forgets every port (a new cycle). */
  reset(): void {
    this.tallies.fill(0, 0, this.slots.size * STRIDE);
    this.slots.reset();
  }

  /** Counts a socket in `state` (its code) on `port`; returns the port's slot, for keepalive(). */
  count(port: number, state: number): number {
    const slot = this.slots.slotFor(port, this.grow);
    const o = slot * STRIDE;
    this.tallies[o + TOTAL]!++;
    this.tallies[o + state]!++;
    return slot;
  }

  /** Counts an ESTABLISHED socket's keepalive kind (0..2) in the slot count() returned. */
  keepalive(slot: number, kind: number): void {
    this.tallies[slot * STRIDE + KEEPALIVE + kind]!++;
  }

  /** The port-to-slot lookups of this cycle (what count() returned for each port). */
  get index(): PortIndex {
    return this.slots;
  }

  /** The ports in use this cycle, each once, in the order first seen. */
  ports(): Uint16Array {
    return this.slots.ports();
  }

  /** The port's total this cycle, 0 when it is not in use. */
  total(port: number): number {
    const slot = this.slots.find(port);
    return slot < 0 ? 0 : this.tallies[slot * STRIDE + TOTAL]!;
  }

  /** Adds the state counts of `ports` into `states` (STATE_SLOTS long, indexed by state code). */
  addStates(ports: readonly number[], states: number[]): void {
    for (const p of ports) {
      const slot = this.slots.find(p);
      if (slot < 0) continue;
      for (let s = 1; s < STATE_SLOTS; s++) states[s]! += this.tallies[slot * STRIDE + s]!;
    }
  }

  /** The sum over `ports` of the ESTABLISHED sockets of keepalive kind `kind` (0..2). */
  keepaliveOf(ports: readonly number[], kind: number): number {
    let n = 0;
    for (const p of ports) {
      const slot = this.slots.find(p);
      if (slot >= 0) n += this.tallies[slot * STRIDE + KEEPALIVE + kind]!;
    }
    return n;
  }
}
