import { newClosedSocket, type ClosedSocket } from '../../model/closedSocket.js';
import { parseSocketDestroyDatagram } from '../../parse/socketDestroyEvent.js';
import { openSockDiagEventsIn, pollSockets, type DatagramBatch, type PollableEventSocket, type SockDiagEventOptions } from './libcNetlink.js';
import { PollSet } from './pollSet.js';
import { coalescingPauseMs, type DestroyEventCounts } from './socketDestroyEvents.js';

/** Datagrams taken from one ready socket per wake-up, and bytes per datagram (as SocketDestroyEventReader's). */
const SLOTS = 128;
const SLOT_BYTES = 1024;
/**
 * How long one poll waits: a socket opened meanwhile is waited on from the next poll (its events
 * queue in its buffer until then), and close() waits at most this long.
 */
export const POLL_TIMEOUT_MS = 250;

/** Opens an event socket inside a network namespace (libcNetlink's openSockDiagEventsIn); tests script it. */
export type OpenNamespaceEventSocket = (netnsPath: string, options: SockDiagEventOptions) => Promise<PollableEventSocket>;
/** poll(2) on a pool thread (libcNetlink's pollSockets): entries ready, 0 on timeout. */
export type PollSockets = (pollfds: Buffer, count: number, timeoutMs: number) => Promise<number>;

export interface NamespaceDestroyEventsDeps {
  open?: OpenNamespaceEventSocket;
  poll?: PollSockets;
  pollTimeoutMs?: number;
}

interface Member {
  inode: number;
  sock: PollableEventSocket;
  onEvent: (s: Readonly<ClosedSocket>) => void;
}

/**
 * The TCP socket destroy events of other network namespaces: one socket per namespace, created
 * inside it (openSockDiagEventsIn: setns on this thread, socket, setns back; CAP_SYS_ADMIN), so
 * it hears that namespace's events, each handed to `onEvent` with the namespace's inode.
 *
 * One pool thread waits for all of them: a single poll(2) over every socket (PollSet), up to
 * POLL_TIMEOUT_MS at a time; the ready ones are drained with non-blocking recv()s on the event
 * loop, up to 128 datagrams each per wake-up (poll is level-triggered: what is left wakes the
 * next poll at once); after a wake-up that emptied them, the next poll starts up to 10 ms later,
 * as the own reader's next wait (coalescingPauseMs). A thread per namespace would take libuv's pool (four threads, one already
 * held by the own namespace's reader). A socket is closed only when no poll in flight holds it.
 *
 * A socket whose read fails is closed (its drops stay counted in lost()); open() makes a new one.
 */
export class NamespaceDestroyEvents {
  private readonly members = new Map<number, Member>();
  private readonly byFd = new Map<number, Member>();
  private readonly pollSet = new PollSet();
  /** Sockets taken out while a poll held them, by descriptor: closed when it returns. */
  private readonly closing = new Map<number, PollableEventSocket>();
  /** Per namespace, what its closed sockets lost (a failed socket was replaced). */
  private readonly lostBefore = new Map<number, number>();
  /** Namespaces whose socket failed since the last failures() call, with why. */
  private failed = new Map<number, Error>();
  private pollFailure: Error | undefined;
  private readonly record = newClosedSocket();
  private batch: DatagramBatch | undefined;
  private loop: Promise<void> | undefined;
  private wake: () => void = () => undefined;
  private stopped = false;
  /** Pause after a wake-up that emptied every ready socket (coalescingPauseMs of the smallest buffer granted). */
  private pauseMs = Infinity;
  private readonly openSocket: OpenNamespaceEventSocket;
  private readonly poll: PollSockets;
  private readonly pollTimeoutMs: number;
  readonly counts: DestroyEventCounts = { datagrams: 0, truncated: 0, malformed: 0 };

  constructor(
    private readonly onEvent: (inode: number, s: Readonly<ClosedSocket>) => void,
    private readonly options: Pick<SockDiagEventOptions, 'receiveBufferBytes'>,
    deps: NamespaceDestroyEventsDeps = {},
  ) {
    this.openSocket = deps.open ?? openSockDiagEventsIn;
    this.poll = deps.poll ?? pollSockets;
    this.pollTimeoutMs = deps.pollTimeoutMs ?? POLL_TIMEOUT_MS;
  }

  /** Whether namespace `inode` has a socket being read. */
  has(inode: number): boolean {
    return this.members.has(inode);
  }

  /** Namespaces with a socket being read. */
  get size(): number {
    return this.members.size;
  }

  /**
   * Opens namespace `inode`'s socket inside `netnsPath` (/proc/<pid>/ns/net of a process in it),
   * unless it has one. Events of the namespace before this are not seen. Errors of opening are
   * thrown: NetlinkError('setns', EPERM) without CAP_SYS_ADMIN; ENOENT or EINVAL when the
   * process is gone.
   */
  async open(inode: number, netnsPath: string): Promise<void> {
    if (this.stopped) throw new Error('namespace destroy events: closed');
    if (this.members.has(inode)) return;
    const sock = await this.openSocket(netnsPath, { receiveBufferBytes: this.options.receiveBufferBytes, timeoutMs: this.pollTimeoutMs });
    if (this.stopped || this.members.has(inode)) {
      sock.close();
      return;
    }
    const m: Member = { inode, sock, onEvent: (s) => this.onEvent(inode, s) };
    this.members.set(inode, m);
    this.byFd.set(sock.fd, m);
    this.pollSet.add(sock.fd);
    this.batch ??= sock.newBatch(SLOTS, SLOT_BYTES);
    this.pauseMs = Math.min(this.pauseMs, coalescingPauseMs(sock.receiveBufferBytes()));
    this.loop ??= this.run();
    this.wake();
  }

  /**
   * Keeps the sockets of the namespaces in `keep` and closes the others (at once, or when the poll
   * in flight returns); what those lost is forgotten.
   */
  retain(keep: ReadonlySet<number>): void {
    for (const [inode, m] of this.members) {
      if (keep.has(inode)) continue;
      this.drop(m);
    }
    for (const inode of this.lostBefore.keys()) if (!keep.has(inode)) this.lostBefore.delete(inode);
  }

  /**
   * Events the kernel dropped for namespace `inode` because its socket's receive buffer was full:
   * the sk_drops of its sockets since the first was opened (SO_MEMINFO). 0 for a namespace without one.
   */
  lost(inode: number): number {
    const m = this.members.get(inode);
    return (this.lostBefore.get(inode) ?? 0) + (m ? m.sock.drops() : 0);
  }

  /** Sockets that failed (and were closed) since the last call, by namespace inode; and why the last failed wake-up since then failed (poll(2), or handing events over), if one did. */
  failures(): { sockets: ReadonlyMap<number, Error>; poll: Error | undefined } {
    const sockets = this.failed;
    const poll = this.pollFailure;
    this.failed = new Map();
    this.pollFailure = undefined;
    return { sockets, poll };
  }

  /** Stops waiting (at most one poll timeout away) and closes every socket. */
  async close(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.loop;
    for (const m of [...this.members.values()]) this.drop(m);
    for (const [fd, sock] of this.closing) {
      sock.close();
      this.closing.delete(fd);
    }
  }

  private drop(m: Member): void {
    this.members.delete(m.inode);
    this.byFd.delete(m.sock.fd);
    if (this.pollSet.remove(m.sock.fd)) m.sock.close();
    else this.closing.set(m.sock.fd, m.sock);
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      if (this.pollSet.size === 0) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        continue;
      }
      const { pollfds, count } = this.pollSet.begin();
      let failure: unknown;
      try {
        await this.poll(pollfds, count, this.pollTimeoutMs);
      } catch (err) {
        failure = err;
      }
      const { ready, closable } = this.pollSet.end();
      for (const fd of closable) {
        this.closing.get(fd)?.close();
        this.closing.delete(fd);
      }
      if (failure !== undefined) {
        // poll(2) fails only on a bad array or no memory: wait as a timeout would, then try again.
        this.pollFailure = failure instanceof Error ? failure : new Error(String(failure));
        await new Promise((r) => setTimeout(r, this.pollTimeoutMs));
        continue;
      }
      if (this.stopped) break;
      let full = false;
      try {
        for (const fd of ready) full = this.drain(fd) === SLOTS || full;
      } catch (err) {
        // A bug in what events are handed to must not end the loop (nor the process, unhandled).
        this.pollFailure = err instanceof Error ? err : new Error(String(err));
      }
      // As the own reader does: a full batch means more is queued, take it at once; otherwise let
      // the next events gather, so a busy namespace costs one wake-up per many events.
      if (ready.length > 0 && !full && this.pauseMs > 0 && Number.isFinite(this.pauseMs)) await new Promise((r) => setTimeout(r, this.pauseMs));
    }
  }

  /** Reads what is queued on one ready socket (up to a batch) and hands each event over: how many datagrams. */
  private drain(fd: number): number {
    const m = this.byFd.get(fd);
    const batch = this.batch;
    if (!m || !batch) return 0;
    let n: number;
    try {
      n = m.sock.receiveQueued(batch);
    } catch (err) {
      try {
        this.lostBefore.set(m.inode, this.lost(m.inode));
      } catch {
        // The socket cannot say what it dropped: what it had counted stays unknown.
      }
      this.failed.set(m.inode, err instanceof Error ? err : new Error(String(err)));
      this.drop(m);
      return 0;
    }
    const c = this.counts;
    for (let k = 0; k < n; k++) {
      c.datagrams++;
      if (batch.truncated(k)) c.truncated++;
      c.malformed += parseSocketDestroyDatagram(batch.bytes, batch.offset(k), batch.length(k), this.record, m.onEvent).malformed;
    }
    return n;
  }
}
