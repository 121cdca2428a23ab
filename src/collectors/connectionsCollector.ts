import { ClosedConnectionCounters, type ClosedConnectionsSummary } from '../aggregate/closedConnections.js';
import { DEFAULT_SERIES_HYSTERESIS, type SeriesHysteresis } from '../aggregate/portSeries.js';
import { DEFAULT_EPHEMERAL_RANGE, type EphemeralRange } from '../aggregate/socketRoles.js';
import type { PortLimits } from '../aggregate/socketSummary.js';
import { errorMessage } from '../model/errno.js';
import { newClosedSocket, type ClosedSocket } from '../model/closedSocket.js';
import { Bursts } from '../model/bursts.js';
import type { Log } from '../model/log.js';
import { Once } from '../model/once.js';
import { queryListeningPorts } from '../sources/netlink/listeningPorts.js';
import { readPortRange } from '../sources/portRange.js';
import { SocketDestroyEventReader, type DestroyEventCounts, type DestroyEventReader, type StartDestroyEventReader } from '../sources/netlink/socketDestroyEvents.js';
import { showsOwnNetns } from '../sources/ownNamespace.js';
import type { CollectContext, Collector } from './collector.js';
import type { ConnectionsOptions } from './options.js';

export interface ConnectionsResult extends ClosedConnectionsSummary {
  /**
   * Destroy events the kernel dropped since the collector started, because the receive buffer was
   * full: the sum of the event socket's sk_drops over every socket it opened. Exact for the events
   * the kernel tried to send (see docs/metrics.md for the two allocation failures it counts nowhere).
   */
  lost: number;
  /** The receive buffer the kernel granted, in bytes. */
  receiveBufferBytes: number;
  /** What the reader saw, for the log and the JSON snapshot. */
  reader: DestroyEventCounts;
}

/**
 * The listener set is dumped again after a batch when it is older than this, for the batches that
 * follow. A LISTEN-only dump costs the kernel a walk of the listening hash only.
 */
const LISTENERS_MAX_AGE_MS = 250;

/** Where events and listeners come from; tests script them. */
export interface ConnectionsDeps {
  startReader?: StartDestroyEventReader;
  listeningPorts?: () => Promise<number[]>;
}

/**
 * Closed connections per port, from the kernel's socket destroy events (opt-in,
 * --collector.connections). The reader starts at the first collection and runs until close():
 * events are counted as they arrive, between cycles; each collection publishes the totals since
 * start. Roles and port caps are those of tcpstate_port_sockets.
 *
 * The role rule needs the listeners, which the events do not carry: they come from LISTEN-only
 * dumps, at every collection, after a batch of events when the last one is over 250 ms old, and
 * before a batch is counted when it holds a connection from a local port that looks like a
 * service's (outside ip_local_port_range) without a known listener: its listener may have opened
 * since the last dump (a test server, a restarted service). Such events wait, copied, for that
 * dump. A listener inside the range opened less than 250 ms before its first connections close,
 * and closed before the next dump, is missed: those connections count as client connections
 * under their peers' ports, as a walk that runs after the listener closed would count them.
 *
 * Only the exporter's own network namespace: the events come from the namespace the socket was
 * opened in, so a --path.procfs that shows another one (a fixture tree) fails the collector.
 */
export class ConnectionsCollector implements Collector<ConnectionsResult> {
  private readonly counters: ClosedConnectionCounters;
  private reader: DestroyEventReader | undefined;
  /** Events lost by readers that ended (a failed socket is replaced; its drops stay counted). */
  private lostBefore = 0;
  private readerCounts: DestroyEventCounts = { datagrams: 0, truncated: 0, malformed: 0 };
  private listenersAt = -Infinity;
  private refreshing: { started: number; done: Promise<void> } | undefined;
  private batchReceivedAt = 0;
  /** Events of the current batch waiting for a listener dump newer than the batch; records reused. */
  private readonly waiting: ClosedSocket[] = [];
  private waitingCount = 0;
  private reportedLost = 0;
  private readonly warned = new Once();
  private readonly lossBursts = new Bursts();
  private ownNetns: boolean | undefined;
  private log: Log | undefined;
  private readonly startReader: StartDestroyEventReader;
  private readonly listeningPorts: () => Promise<number[]>;

  constructor(
    limits: PortLimits,
    private readonly options: ConnectionsOptions,
    hysteresis: SeriesHysteresis = DEFAULT_SERIES_HYSTERESIS,
    deps: ConnectionsDeps = {},
  ) {
    this.counters = new ClosedConnectionCounters(limits, hysteresis);
    this.startReader = deps.startReader ?? ((handler, options) => SocketDestroyEventReader.start(handler, options));
    this.listeningPorts = deps.listeningPorts ?? (() => queryListeningPorts());
  }

  async collect(ctx: CollectContext): Promise<ConnectionsResult> {
    this.log = ctx.log;
    this.ownNetns ??= await showsOwnNetns(ctx.procfs);
    if (!this.ownNetns) {
      throw new Error(`--path.procfs ${ctx.procfs} does not show the exporter's own network namespace: socket destroy events come from the namespace the exporter runs in`);
    }
    let range: EphemeralRange | null = null;
    try {
      const { low, high } = await readPortRange(ctx.procfs);
      range = { low, high };
    } catch {
      // The kernel's default is taken (SocketRoles); the sockets collector logs the unreadable range.
    }
    // A cycle of the role rule starts with this dump, as a walk starts with its listeners.
    await this.refreshListeners(-Infinity, range ?? DEFAULT_EPHEMERAL_RANGE);
    const reader = await this.runningReader(ctx.log);
    const lost = this.lostBefore + reader.lost();
    this.reportLoss(lost, reader.receiveBufferBytes(), ctx.log);
    return { ...this.counters.summarize(), lost, receiveBufferBytes: reader.receiveBufferBytes(), reader: { ...this.readerCounts } };
  }

  /** Stops the reader (shutdown, and the end of a one-shot snapshot). */
  async close(): Promise<void> {
    const r = this.reader;
    this.reader = undefined;
    await r?.stop();
  }

  /** The reader, started (or restarted after it failed: the failure fails this cycle, the next one reopens). */
  private async runningReader(log: Log): Promise<DestroyEventReader> {
    const failed = this.reader?.error();
    if (failed && this.reader) {
      this.lostBefore += this.reader.lost();
      this.reader = undefined;
      throw new Error(`reading socket destroy events failed: ${failed.message}`);
    }
    if (!this.reader) {
      const counts = this.readerCounts;
      const counters = this.counters;
      this.reader = await this.startReader(
        {
          startBatch: (receivedAt) => {
            this.batchReceivedAt = receivedAt;
          },
          onEvent: (s) => {
            if (this.listenersAt < this.batchReceivedAt && this.mayHaveNewListener(s)) this.wait(s);
            else counters.add(s);
          },
          endBatch: () => this.endBatch(),
        },
        { receiveBufferBytes: this.options.receiveBufferBytes },
      );
      this.readerCounts = this.reader.counts;
      // Carry the counts of a reader that failed over to its replacement.
      this.readerCounts.datagrams += counts.datagrams;
      this.readerCounts.truncated += counts.truncated;
      this.readerCounts.malformed += counts.malformed;
      const granted = this.reader.receiveBufferBytes();
      log.info({ receive_buffer_bytes: granted }, 'reading TCP socket destroy events');
      // The kernel grants twice what is asked (bookkeeping) unless net.core.rmem_max caps it.
      if (granted < 2 * this.options.receiveBufferBytes && this.warned.first('capped')) {
        log.warn(
          { asked_bytes: this.options.receiveBufferBytes, granted_bytes: granted },
          'the socket destroy events\' receive buffer is smaller than asked: net.core.rmem_max caps it without CAP_NET_ADMIN (raise net.core.rmem_max or give CAP_NET_ADMIN); a burst the buffer cannot hold is lost and counted in tcpstate_connection_events_lost_total',
        );
      }
    }
    return this.reader;
  }

  /**
   * A connection's socket whose local port has no known listener, is outside the ephemeral range
   * (so it looks bound on purpose, like a service's), and whose peer's port has no local listener
   * either: its listener may be newer than the last dump.
   */
  private mayHaveNewListener(s: Readonly<ClosedSocket>): boolean {
    const local = s.localPort;
    if (s.remotePort === 0 || this.counters.isListening(local) || this.counters.isListening(s.remotePort)) return false;
    return !this.counters.inEphemeralRange(local);
  }

  private wait(s: Readonly<ClosedSocket>): void {
    const copy = (this.waiting[this.waitingCount++] ??= newClosedSocket());
    copy.family = s.family;
    copy.localPort = s.localPort;
    copy.remotePort = s.remotePort;
    copy.disconnected = s.disconnected;
    Object.assign(copy.info, s.info);
  }

  private endBatch(): Promise<void> | void {
    if (this.waitingCount > 0) {
      return this.refreshListeners(this.batchReceivedAt).then(() => {
        for (let i = 0; i < this.waitingCount; i++) this.counters.add(this.waiting[i]!);
        this.waitingCount = 0;
      });
    }
    if (performance.now() - this.listenersAt >= LISTENERS_MAX_AGE_MS) return this.refreshListeners();
  }

  /**
   * One dump at a time; the set is swapped in one step, so a batch never sees it half filled. A
   * set counts as of when its dump started: what a waiting event needs is a dump that started
   * after it arrived (`notBefore`), so one already running since earlier is not enough.
   */
  private async refreshListeners(notBefore = -Infinity, newCycle?: EphemeralRange): Promise<void> {
    while (this.refreshing) {
      const { started, done } = this.refreshing;
      await done;
      if (started >= notBefore && newCycle === undefined) return;
    }
    const started = performance.now();
    const done = this.listeningPorts().then(
      (ports) => {
        if (newCycle !== undefined) this.counters.startCycle(newCycle, ports);
        else this.counters.listen(ports);
        this.listenersAt = started;
      },
      (err: unknown) => {
        // The last set stays; tried again at the next batch or cycle.
        if (newCycle !== undefined) this.counters.startCycle(newCycle, []);
        this.listenersAt = started;
        this.log?.debug({ err: errorMessage(err) }, 'cannot dump listening sockets; roles use the last set');
      },
    );
    this.refreshing = { started, done };
    try {
      await done;
    } finally {
      this.refreshing = undefined;
    }
  }

  /** Logs once when events start being lost, and once when a cycle sees no new loss after that. */
  private reportLoss(lost: number, receiveBufferBytes: number, log: Log): void {
    const added = lost - this.reportedLost;
    this.reportedLost = lost;
    switch (this.lossBursts.next(added > 0)) {
      case 'began':
        log.warn(
          { lost: added, lost_total: lost, receive_buffer_bytes: receiveBufferBytes },
          'socket destroy events lost: the receive buffer overflowed (raise --collector.connections.receive-buffer and net.core.rmem_max, or give CAP_NET_ADMIN)',
        );
        return;
      case 'ended':
        log.info({ lost_total: lost }, 'socket destroy events no longer lost');
    }
  }

}
