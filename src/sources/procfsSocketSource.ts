import type { SocketRecord, SocketSink } from '../model/socketRecord.js';
import { LISTEN, type Family } from '../model/tcpState.js';
import { ProcNetTcpParser } from '../parse/procNetTcp.js';
import { isNotFound, procPath, streamFile } from './procfsFiles.js';
import type { SocketSource, TableReport, WalkReport } from './socketSource.js';

const TABLES: ReadonlyArray<{ file: string; family: Family }> = [
  { file: 'net/tcp', family: 'ipv4' },
  { file: 'net/tcp6', family: 'ipv6' },
];

/** Enough for ~100 rows: the head walk stops at the first row that is not a listener. */
const HEAD_CHUNK = 16 * 1024;

/** Configured backlog per listening-socket inode (see netlink/listenerBacklogs.ts). */
export type ListenerBacklogQuery = () => Promise<ReadonlyMap<number, number>>;

/**
 * Streams /proc/net/tcp and /proc/net/tcp6 through the byte-level parser. The text format has no
 * backlog for LISTEN sockets; when given a backlog query, each listener's backlog is joined in by
 * inode. A listener that appears between the query and the walk keeps an unknown backlog.
 */
export class ProcfsSocketSource implements SocketSource {
  readonly name = 'procfs' as const;
  readonly reportsKernelDetail = true;

  constructor(
    private readonly procfs: string,
    private readonly backlogs?: ListenerBacklogQuery,
  ) {}

  async walk(sink: SocketSink): Promise<WalkReport> {
    const report: WalkReport = { tables: [], backlogSource: 'none' };
    let target = sink;
    if (this.backlogs) {
      try {
        const byInode = await this.backlogs();
        target = withBacklogs(sink, byInode);
        report.backlogSource = 'netlink';
      } catch (err) {
        report.backlogSource = 'failed';
        report.backlogError = err instanceof Error ? err.message : String(err);
      }
    }
    // Listeners of both families first, as the netlink source does (see there): a socket is a
    // server socket when its local port has a listener in either family, so an IPv4 socket must
    // not be classified before tcp6's listeners are known. The kernel lists each table's
    // listening hash first, so only the head of each file is read for them.
    const headListeners: number[] = [];
    for (const { file, family } of TABLES) headListeners.push(await this.walkHeadListeners(file, family, target));
    for (const [i, { file, family }] of TABLES.entries()) report.tables.push(await this.walkTable(file, family, skippingListeners(target, headListeners[i]!)));
    return report;
  }

  /** Feeds the LISTEN rows at the head of a table, up to its first other row; returns how many. */
  private async walkHeadListeners(file: string, family: Family, sink: SocketSink): Promise<number> {
    let listeners = 0;
    let done = false;
    const parser = new ProcNetTcpParser(family, {
      add(s) {
        if (done || s.state !== LISTEN) {
          done = true;
          return;
        }
        listeners++;
        sink.add(s);
      },
    });
    try {
      await streamFile(
        procPath(this.procfs, file),
        (chunk) => {
          parser.push(chunk);
          return !done;
        },
        HEAD_CHUNK,
      );
    } catch (err) {
      if (isNotFound(err)) return 0; // reported by the full walk
      throw err;
    }
    return listeners;
  }

  private async walkTable(file: string, family: Family, sink: SocketSink): Promise<TableReport> {
    const parser = new ProcNetTcpParser(family, sink);
    try {
      await streamFile(procPath(this.procfs, file), (chunk) => parser.push(chunk));
    } catch (err) {
      // No tcp6 means IPv6 is disabled: a normal host, not an error. No tcp is an error.
      if (isNotFound(err) && family === 'ipv6') return { table: file, sockets: 0, malformed: 0, present: false };
      throw err;
    }
    const stats = parser.finish();
    // The kernel writes the header line even for an empty table; without it (an empty file, a
    // truncated copy, another file mounted in its place) zeros would read as a quiet host.
    if (!stats.header) throw new Error(`${procPath(this.procfs, file)} is not a kernel socket table: ${stats.lines === 0 ? 'it is empty' : 'its first line is not the column header'} (expected "  sl  local_address rem_address   st ...")`);
    const report: TableReport = { table: file, sockets: stats.sockets, malformed: stats.malformed, present: true };
    if (stats.firstError !== undefined) report.firstError = stats.firstError;
    return report;
  }
}

/**
 * Passes every socket but the table's first `count` listeners, which the head walk has already
 * fed. Counting rather than skipping every LISTEN row keeps a listener that appears after other
 * rows (a hand-made file; the kernel never writes one) or between the two reads.
 */
function skippingListeners(sink: SocketSink, count: number): SocketSink {
  let skipped = 0;
  return {
    add(s: Readonly<SocketRecord>) {
      if (s.state === LISTEN && skipped < count) {
        skipped++;
        return;
      }
      sink.add(s);
    },
  };
}

function withBacklogs(sink: SocketSink, byInode: ReadonlyMap<number, number>): SocketSink {
  return {
    add(s: Readonly<SocketRecord>) {
      if (s.state === LISTEN && s.txQueue < 0) {
        const backlog = byInode.get(s.inode);
        // The parser's record is ours to amend before the aggregator copies what it needs.
        if (backlog !== undefined) (s as SocketRecord).txQueue = backlog;
      }
      sink.add(s);
    },
  };
}
