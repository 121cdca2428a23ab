import { errorMessage } from '../model/errno.js';
import { newSocketRecord, type SocketRecord, type SocketSink } from '../model/socketRecord.js';
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
        report.backlogError = errorMessage(err);
      }
    }
    // Listeners first (SocketSource.walk). The kernel lists each table's listening hash first, so
    // only the head of each file is read for them; the full read then skips those same sockets.
    const fedAtHead = TABLES.map(() => new InodeCounts());
    for (const [i, { file, family }] of TABLES.entries()) await this.walkHeadListeners(file, family, target, fedAtHead[i]!);
    for (const [i, { file, family }] of TABLES.entries()) report.tables.push(await this.walkTable(file, family, skippingListeners(target, fedAtHead[i]!)));
    return report;
  }

  /** Feeds the LISTEN rows at the head of a table, up to its first other row, and notes their inodes in `fed`. */
  private async walkHeadListeners(file: string, family: Family, sink: SocketSink, fed: InodeCounts): Promise<void> {
    let done = false;
    let read = 0;
    const parser = new ProcNetTcpParser(family, {
      add(s) {
        if (done || s.state !== LISTEN) {
          done = true;
          return;
        }
        fed.add(s.inode);
        sink.add(s);
      },
    });
    try {
      await streamFile(
        procPath(this.procfs, file),
        (chunk) => {
          parser.push(chunk);
          // A malformed line ends the head too: the full walk reports the table as it is.
          return !done && parser.malformedLines === 0 && notASocketTable(parser, (read += chunk.length)) === false;
        },
        HEAD_CHUNK,
      );
    } catch (err) {
      if (isNotFound(err)) return; // reported by the full walk
      throw err;
    }
  }

  private async walkTable(file: string, family: Family, sink: SocketSink): Promise<TableReport> {
    const parser = new ProcNetTcpParser(family, sink);
    let read = 0;
    try {
      await streamFile(procPath(this.procfs, file), (chunk) => {
        parser.push(chunk);
        return !notASocketTable(parser, (read += chunk.length));
      });
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
 * Passes every socket but the listeners the head read has fed, known by inode. A listener opened
 * between the two reads is passed (once, where the full read finds it), and one closed between
 * them takes nothing with it; skipping the first N listeners instead would drop the new one or
 * feed another twice. An inode names one socket for as long as it lives (get_next_ino(), never 0
 * for a socket with a file); a hand-made file's zeros are matched by count.
 */
function skippingListeners(sink: SocketSink, fed: InodeCounts): SocketSink {
  return {
    add(s: Readonly<SocketRecord>) {
      if (s.state === LISTEN && fed.take(s.inode)) return;
      sink.add(s);
    },
  };
}

/** A multiset of socket inodes: the listeners a head read fed. */
class InodeCounts {
  private readonly counts = new Map<number, number>();

  add(inode: number): void {
    this.counts.set(inode, (this.counts.get(inode) ?? 0) + 1);
  }

  /** Removes one `inode`; false if there was none. */
  take(inode: number): boolean {
    const n = this.counts.get(inode);
    if (n === undefined) return false;
    if (n === 1) this.counts.delete(inode);
    else this.counts.set(inode, n - 1);
    return true;
  }
}

/**
 * Joins each listener's configured backlog in by inode. The parser's record is the sink's to
 * read only, so a listener with a backlog is handed on in a record of our own (a copy per
 * listener; other sockets pass untouched).
 */
function withBacklogs(sink: SocketSink, byInode: ReadonlyMap<number, number>): SocketSink {
  const own = newSocketRecord();
  return {
    add(s: Readonly<SocketRecord>) {
      const backlog = s.state === LISTEN && s.txQueue < 0 ? byInode.get(s.inode) : undefined;
      if (backlog === undefined) {
        sink.add(s);
        return;
      }
      copyRecord(s, own);
      own.txQueue = backlog;
      sink.add(own);
    },
  };
}

function copyRecord(from: Readonly<SocketRecord>, to: SocketRecord): void {
  to.family = from.family;
  to.state = from.state;
  to.localPort = from.localPort;
  to.remotePort = from.remotePort;
  to.rxQueue = from.rxQueue;
  to.txQueue = from.txQueue;
  to.timer = from.timer;
  to.uid = from.uid;
  to.inode = from.inode;
  to.localAddress.set(from.localAddress);
  to.remoteAddress.set(from.remoteAddress);
}

/** Bytes within which a kernel socket table has ended its header line (~150 bytes in practice). */
const HEADER_WITHIN = 64 * 1024;

/**
 * Whether what has been read so far shows the file is not a kernel socket table: its first line
 * is not the header, or no line has ended within HEADER_WITHIN bytes (/dev/zero, a binary file).
 * The read stops there and the walk reports why, rather than read a file that may never end.
 */
function notASocketTable(parser: ProcNetTcpParser, bytesRead: number): boolean {
  const header = parser.startsWithHeader;
  return header === false || (header === undefined && bytesRead > HEADER_WITHIN);
}
