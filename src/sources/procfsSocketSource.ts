import type { SocketSink } from '../model/socketRecord.js';
import type { Family } from '../model/tcpState.js';
import { ProcNetTcpParser } from '../parse/procNetTcp.js';
import { isNotFound, procPath, streamFile } from './procfsFiles.js';
import type { SocketSource, TableReport } from './socketSource.js';

const TABLES: ReadonlyArray<{ file: string; family: Family }> = [
  { file: 'net/tcp', family: 'ipv4' },
  { file: 'net/tcp6', family: 'ipv6' },
];

/** Streams /proc/net/tcp and /proc/net/tcp6 through the byte-level parser. */
export class ProcfsSocketSource implements SocketSource {
  readonly name = 'procfs' as const;
  readonly reportsKernelDetail = true;

  constructor(private readonly procfs: string) {}

  async walk(sink: SocketSink): Promise<TableReport[]> {
    const reports: TableReport[] = [];
    for (const { file, family } of TABLES) {
      const parser = new ProcNetTcpParser(family, sink);
      try {
        await streamFile(procPath(this.procfs, file), (chunk) => parser.push(chunk));
      } catch (err) {
        // No tcp6 means IPv6 is disabled: a normal host, not an error. No tcp is an error.
        if (isNotFound(err) && family === 'ipv6') {
          reports.push({ table: file, sockets: 0, malformed: 0, present: false });
          continue;
        }
        throw err;
      }
      const stats = parser.finish();
      const report: TableReport = { table: file, sockets: stats.sockets, malformed: stats.malformed, present: true };
      if (stats.firstError !== undefined) report.firstError = stats.firstError;
      reports.push(report);
    }
    return reports;
  }
}
