import { PortSlots } from './portSlots.js';
import type { ListenQueue } from './socketSummary.js';

/** float64 figures per listening port: listeners, accept queue, backlog, fullest listener's fill, 1 if a backlog is unknown. */
const STRIDE = 5;
const LISTENERS = 0;
const ACCEPT_QUEUE = 1;
const BACKLOG = 2;
const MAX_FILL = 3;
const BACKLOG_UNKNOWN = 4;
const INITIAL_SLOTS = 16;

/**
 * The listen queues of one cycle's listening sockets, per port: how many listeners, the
 * connections waiting in their accept queues (sk_ack_backlog), their configured backlogs
 * (sk_max_ack_backlog) and the fullest one's fill. Dense slots per listening port (PortSlots):
 * a table's listeners scattered over the port space would otherwise make a page of each per-port
 * array resident per port (~1.9 MB at 216 listening ports, five arrays).
 */
export class ListenQueueTallies {
  private readonly slots = new PortSlots(INITIAL_SLOTS);
  private figures = new Float64Array(INITIAL_SLOTS * STRIDE);
  private readonly grow = (slots: number): void => {
    const figures = new Float64Array(slots * STRIDE);
    figures.set(this.figures);
    this.figures = figures;
  };

  reset(): void {
    this.figures.fill(0, 0, this.slots.size * STRIDE);
    this.slots.reset();
  }

  /**
   * One listening socket on `port`: `acceptQueue` connections waiting, `backlog` its configured
   * backlog, or a negative number where the source does not know it.
   */
  add(port: number, acceptQueue: number, backlog: number): void {
    const slot = this.slots.slotFor(port, this.grow);
    const f = this.figures;
    const o = slot * STRIDE;
    f[o + LISTENERS]!++;
    f[o + ACCEPT_QUEUE]! += acceptQueue;
    if (backlog < 0) {
      f[o + BACKLOG_UNKNOWN] = 1;
      return;
    }
    f[o + BACKLOG]! += backlog;
    // The accept queue takes backlog + 1 connections: the kernel drops only once
    // sk_ack_backlog > sk_max_ack_backlog (sk_acceptq_is_full, include/net/sock.h), so
    // listen(0) holds one. Over backlog + 1, a full queue reads 1.
    const fill = acceptQueue / (backlog + 1);
    if (fill > f[o + MAX_FILL]!) f[o + MAX_FILL] = fill;
  }

  /** The listen queues of `ports` together, labelled `port`; backlog and fill null where a backlog is unknown. */
  of(port: string, ports: readonly number[]): ListenQueue {
    let listeners = 0;
    let accept = 0;
    let backlog = 0;
    let fill = 0;
    let known = true;
    const f = this.figures;
    for (const p of ports) {
      const slot = this.slots.find(p);
      if (slot < 0) continue;
      const o = slot * STRIDE;
      listeners += f[o + LISTENERS]!;
      accept += f[o + ACCEPT_QUEUE]!;
      backlog += f[o + BACKLOG]!;
      fill = Math.max(fill, f[o + MAX_FILL]!);
      if (f[o + BACKLOG_UNKNOWN] === 1) known = false;
    }
    return { port, listeners, acceptQueue: accept, backlog: known ? backlog : null, maxFillRatio: known ? fill : null };
  }
}
