import { newClosedSocket, type ClosedSocket } from '../../model/closedSocket.js';
import { parseSocketDestroyDatagram } from '../../parse/socketDestroyEvent.js';
import { openSockDiagEvents, type SockDiagEventOptions, type SockDiagEventSocket } from './libcNetlink.js';

/**
 * Datagrams per batch and bytes per datagram: a destroy message is 380 bytes on 6.18 (nlmsghdr,
 * inet_diag_msg, INET_DIAG_PROTOCOL, a 280-byte tcp_info), and tcp_info grows a little every few
 * releases, so a slot has room for a few more years of it. One batch: 128 KiB.
 */
const SLOTS = 128;
const SLOT_BYTES = 1024;
/** How long one receive waits before it returns empty, so stop() never waits longer. */
const RECEIVE_TIMEOUT_MS = 500;
/**
 * Coalescing: after a batch that emptied the queue, the next wait starts this much later, so the
 * events of that time arrive as one batch: one pool-thread wake-up and event-loop turn for many
 * events instead of one each (what dominated the CPU per close: ~30 µs per close in batches of
 * one or two, ~5 µs in full ones; docs/performance.md). The pause is what the receive buffer can
 * take at BURST_EVENTS_PER_MS without filling past half: 10 ms with the default buffer, nothing
 * below ~20 KiB. A count is at most this late.
 */
const MAX_PAUSE_MS = 10;
/** The close rate a pause must leave room for, in events per ms (100,000 closes/s: beyond what 2 cores make). */
const BURST_EVENTS_PER_MS = 100;
/** Receive-buffer bytes one queued event takes: its skb's truesize (a 380-byte message in a 1 KiB-class allocation, plus the sk_buff). */
const EVENT_TRUESIZE = 1280;

/** How long to pause before the next wait, for a socket whose receive buffer is `receiveBufferBytes`. */
export function coalescingPauseMs(receiveBufferBytes: number): number {
  const halfBufferEvents = receiveBufferBytes / EVENT_TRUESIZE / 2;
  const ms = Math.min(MAX_PAUSE_MS, halfBufferEvents / BURST_EVENTS_PER_MS);
  return ms >= 1 ? Math.floor(ms) : 0;
}

export interface DestroyEventHandler {
  /** A batch starts; it was received at `receivedAt` (performance.now()). */
  startBatch(receivedAt: number): void;
  /** One destroyed socket; the record is reused for the next one. */
  onEvent(s: Readonly<ClosedSocket>): void;
  /**
   * The batch's events were all handed over. Awaited before the next batch is parsed (which is
   * being received meanwhile): the place to finish what some events were set aside for.
   */
  endBatch(): Promise<void> | void;
}

export interface DestroyEventCounts {
  /** Datagrams received. */
  datagrams: number;
  /** Datagrams longer than a slot, read as far as they fit. */
  truncated: number;
  /** Messages that were not a readable socket destroy message. */
  malformed: number;
}

/** A running reader of socket destroy events, as the connections collector uses it. */
export interface DestroyEventReader {
  readonly counts: DestroyEventCounts;
  /** Events the kernel dropped because the receive buffer was full, since this reader started. */
  lost(): number;
  /** The receive buffer the kernel granted, in bytes. */
  receiveBufferBytes(): number;
  /** Why reading stopped on its own, or undefined while it runs. */
  error(): Error | undefined;
  stop(): Promise<void>;
}

/** Starts a reader that hands every event to `handler`; opening errors are thrown. */
export type StartDestroyEventReader = (handler: DestroyEventHandler, options: Pick<SockDiagEventOptions, 'receiveBufferBytes'>) => Promise<DestroyEventReader>;

/**
 * Reads the kernel's TCP socket destroy events (parse/socketDestroyEvent.ts) from a socket bound
 * to both destroy groups, as they happen, for as long as it runs. The wait runs on a libuv pool
 * thread (koffi's asynchronous recv(), like the dumps'); what is queued behind the first datagram
 * is taken with non-blocking recv()s, up to 128 per batch, and the event loop parses one batch per
 * turn. After a batch that emptied the queue, the next wait starts up to 10 ms later (see
 * coalescingPauseMs): events queue in the receive buffer meanwhile and come as one batch. One pool
 * thread is taken by the wait while it waits (libuv has four unless UV_THREADPOOL_SIZE says
 * otherwise).
 */
export class SocketDestroyEventReader implements DestroyEventReader {
  private stopped = false;
  private failure: Error | undefined;
  private readonly done: Promise<void>;
  private readonly record = newClosedSocket();
  readonly counts: DestroyEventCounts = { datagrams: 0, truncated: 0, malformed: 0 };

  private constructor(
    private readonly sock: SockDiagEventSocket,
    private readonly handler: DestroyEventHandler,
  ) {
    this.done = this.run();
  }

  /** Opens the socket (errors are thrown here) and starts reading. */
  static async start(
    handler: DestroyEventHandler,
    options: Pick<SockDiagEventOptions, 'receiveBufferBytes'>,
    open: (o: SockDiagEventOptions) => Promise<SockDiagEventSocket> = openSockDiagEvents,
  ): Promise<SocketDestroyEventReader> {
    return new SocketDestroyEventReader(await open({ ...options, timeoutMs: RECEIVE_TIMEOUT_MS }), handler);
  }

  /** Events the kernel dropped because the receive buffer was full, since this reader started. */
  lost(): number {
    return this.closed ? this.lostAtEnd : this.sock.drops();
  }

  receiveBufferBytes(): number {
    return this.sock.receiveBufferBytes();
  }

  /**
   * Why reading stopped on its own, or undefined while it runs. The socket is closed soon after
   * (once the receive in flight returns); events still queued in it then are lost uncounted.
   */
  error(): Error | undefined {
    return this.failure;
  }

  /** Stops reading: waits for the receive in flight (at most RECEIVE_TIMEOUT_MS), then closes the socket. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }

  private lostAtEnd = 0;
  private closed = false;

  private async run(): Promise<void> {
    const batch = this.sock.newBatch(SLOTS, SLOT_BYTES);
    const pauseMs = coalescingPauseMs(this.sock.receiveBufferBytes());
    let next: Promise<number> = Promise.resolve(0);
    try {
      while (!this.stopped) {
        next = this.sock.receive(batch);
        const n = await next;
        if (this.stopped || n === 0) continue;
        this.handler.startBatch(performance.now());
        this.parse(batch, n);
        await this.handler.endBatch();
        // A full batch means more is queued: take it at once. Otherwise let the next events gather.
        if (n < SLOTS && pauseMs > 0 && !this.stopped) await new Promise((resolve) => setTimeout(resolve, pauseMs));
      }
    } catch (err) {
      this.failure = err instanceof Error ? err : new Error(String(err));
    } finally {
      // The socket and the batch may only go once no pool thread is inside recv() on them.
      await next.catch(() => 0);
      this.lostAtEnd = this.sock.drops();
      this.closed = true;
      this.sock.close();
    }
  }

  private parse(batch: ReturnType<SockDiagEventSocket['newBatch']>, n: number): void {
    const c = this.counts;
    const onEvent = this.handler.onEvent;
    for (let k = 0; k < n; k++) {
      c.datagrams++;
      if (batch.truncated(k)) c.truncated++;
      c.malformed += parseSocketDestroyDatagram(batch.bytes, batch.offset(k), batch.length(k), this.record, onEvent).malformed;
    }
  }
}
