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
}

/**
 * A socket table reader. Every source visits each socket once with a reused record and feeds
 * the same sink, so aggregation never depends on where the sockets came from.
 */
export interface SocketSource {
  readonly name: SocketSourceName;
  /** Whether queues and timers are real kernel values (false for systeminformation). */
  readonly reportsKernelDetail: boolean;
  walk(sink: SocketSink): Promise<WalkReport>;
}
