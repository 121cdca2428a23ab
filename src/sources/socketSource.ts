import type { SocketSink } from '../model/socketRecord.js';

export type SocketSourceName = 'netlink' | 'procfs' | 'systeminformation';

/** What one walk over a socket table saw, per table (file, or netlink family). */
export interface TableReport {
  table: string;
  sockets: number;
  malformed: number;
  /** False when the table is absent, e.g. tcp6 on a host with IPv6 disabled. */
  present: boolean;
  firstError?: string;
}

/** Where listeners' configured backlogs came from in a walk. */
export type BacklogSource = 'netlink' | 'failed' | 'none';

export interface WalkReport {
  tables: TableReport[];
  backlogSource: BacklogSource;
  /** Why backlogs could not be read, when backlogSource is "failed". */
  backlogError?: string;
  /**
   * Present when this walk is a fallback's (FallbackSocketSource): the source that produced the
   * sockets, and why the primary failed (its error message).
   */
  fellBack?: { source: SocketSourceName; primaryError: string };
  /** Whether the records carried each full socket's tcp_info (asked for, and a netlink walk). */
  tcpInfo?: boolean;
}

export interface WalkOptions {
  /**
   * Ask the kernel for each full socket's struct tcp_info (record.info). Only netlink can; the
   * other sources ignore it, leave record.info at -1 and say so (WalkReport.tcpInfo unset).
   */
  tcpInfo?: boolean;
}

/**
 * A socket table reader. Every source feeds the same sink, so aggregation never depends on where
 * the sockets came from.
 */
export interface SocketSource {
  readonly name: SocketSourceName;
  /** Whether queues and timers are real kernel values (false for systeminformation). */
  readonly reportsKernelDetail: boolean;
  /**
   * Feeds every socket of the table to `sink.add`, with one record the source reuses (the sink
   * copies what it keeps), and resolves with what it saw. The contract every source keeps:
   *
   * - **Listeners of both families before any other socket.** A socket is a server socket when
   *   its local port has a listener, in either family (aggregate/socketRoles.ts), and the role is
   *   decided as the socket streams past; so an IPv4 connection on a port only an IPv6 listener
   *   holds must find that listener already fed. The kernel lists a family's listeners first but
   *   the families one after the other, hence the work in each source: two LISTEN-only netlink
   *   dumps before the rest, a procfs head read of each file, a sort in systeminformation.
   * - **Each socket once**, listeners included, even one that opens or closes during the walk.
   * - A walk that throws may have fed part of the table. `restart`, when given, is called before
   *   a walk feeds the sink again from the start (FallbackSocketSource, after its primary failed);
   *   without it such a walk throws instead of starting over.
   *
   * - `options` (WalkOptions) asks for more than the table where a source can give it.
   *
   * Throws on an unreadable or malformed table (not on malformed lines: those are counted).
   * test/unit/sources/socketSourceContract.test.ts holds every source to this.
   */
  walk(sink: SocketSink, restart?: () => void, options?: WalkOptions): Promise<WalkReport>;
}
