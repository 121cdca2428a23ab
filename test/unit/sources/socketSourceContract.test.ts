import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_PORT_LIMITS } from '../../../src/aggregate/socketSummary.js';
import { SocketAggregator } from '../../../src/aggregate/socketAggregator.js';
import { newSocketRecord, type SocketRecord, type SocketSink } from '../../../src/model/socketRecord.js';
import { LISTEN, STATE_CODE, stateName, type TcpStateName } from '../../../src/model/tcpState.js';
import { AF_INET, AF_INET6, NLMSG_DONE, NLMSG_ERROR, TCPDIAG_GETSOCK } from '../../../src/parse/inetDiag.js';
import { FallbackSocketSource } from '../../../src/sources/fallbackSocketSource.js';
import type { NetlinkSocket } from '../../../src/sources/netlink/libcNetlink.js';
import { NetlinkSocketSource } from '../../../src/sources/netlinkSocketSource.js';
import { ProcfsSocketSource } from '../../../src/sources/procfsSocketSource.js';
import type { SocketSource, WalkReport } from '../../../src/sources/socketSource.js';
import { SysteminformationSocketSource, type ConnectionEntry } from '../../../src/sources/systeminformationSource.js';
import { control, diagMessage, fillBatch } from '../../helpers/netlinkMessages.js';
import { haveTool } from '../../helpers/tools.js';

/**
 * The contract of SocketSource.walk (src/sources/socketSource.ts), held against every source over
 * one socket table: listeners of both families before any other socket, each socket once. Each
 * source is given the table as the kernel orders it (per family, listeners first, IPv4 before
 * IPv6), so a source that kept the kernel's order would hand over the IPv4 connections before the
 * IPv6 listener they need.
 */
interface Row {
  family: 'ipv4' | 'ipv6';
  state: TcpStateName;
  localPort: number;
  remotePort: number;
  inode: number;
}

const TABLE: readonly Row[] = [
  { family: 'ipv4', state: 'listen', localPort: 80, remotePort: 0, inode: 11 },
  // From 127.0.0.1:9000, a port only an IPv6 listener holds, to the listener on 80; and its accepted end.
  { family: 'ipv4', state: 'established', localPort: 9000, remotePort: 80, inode: 12 },
  { family: 'ipv4', state: 'established', localPort: 80, remotePort: 9000, inode: 13 },
  { family: 'ipv6', state: 'listen', localPort: 9000, remotePort: 0, inode: 21 },
  { family: 'ipv6', state: 'established', localPort: 40000, remotePort: 443, inode: 22 },
];

const key = (r: Pick<Row, 'family' | 'localPort' | 'remotePort'> & { state: number | TcpStateName }): string =>
  `${r.family} ${typeof r.state === 'number' ? stateName(r.state) : r.state} ${r.localPort}->${r.remotePort}`;

/** Keeps what each walk fed, in order; restart() forgets it, as the collectors' sinks do. */
class Recorder implements SocketSink {
  readonly seen: Array<{ key: string; listener: boolean; inode: number }> = [];
  restarts = 0;
  add(s: Readonly<SocketRecord>): void {
    this.seen.push({ key: key(s), listener: s.state === LISTEN, inode: s.inode });
  }
  restart = (): void => {
    this.restarts++;
    this.seen.length = 0;
  };
}

// --- The table in each source's input format ---

const LOOPBACK: Record<Row['family'], string> = { ipv4: '0100007F', ipv6: '00000000000000000000000001000000' };
const HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
const hex = (n: number, width: number): string => n.toString(16).toUpperCase().padStart(width, '0');

/** A /proc/net/tcp{,6} row in the kernel's format (net/ipv4/tcp_ipv4.c get_tcp4_sock). */
function procRow(i: number, r: Row): string {
  const a = LOOPBACK[r.family];
  const remote = r.state === 'listen' ? '0'.repeat(a.length) : a;
  return `  ${i}: ${a}:${hex(r.localPort, 4)} ${remote}:${hex(r.remotePort, 4)} ${hex(STATE_CODE[r.state], 2)} 00000000:00000000 00:00000000 00000000  1000        0 ${r.inode} 1 0000000000000000 20 4 30 10 -1\n`;
}

const procTable = (rows: readonly Row[]): string => HEADER + rows.map((r, i) => procRow(i, r)).join('');

/** A procfs tree holding `rows` in net/tcp and net/tcp6; removed in afterAll. */
function procTree(rows: readonly Row[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'tcpstate-contract-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'net'));
  writeFileSync(join(dir, 'net/tcp'), procTable(rows.filter((r) => r.family === 'ipv4')));
  writeFileSync(join(dir, 'net/tcp6'), procTable(rows.filter((r) => r.family === 'ipv6')));
  return dir;
}
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/**
 * A sock_diag socket that answers each dump request as the kernel does: the sockets of the
 * requested family whose state is in the request's idiag_states mask, in table order.
 */
/**
 * A kernel answering dump requests from `rows`: SOCK_DIAG_BY_FAMILY (inet_diag_req_v2: family at
 * byte 16, states at 20) and, unless `refusesBothFamilies`, TCPDIAG_GETSOCK (inet_diag_req: both
 * families, states at 68; refused as a kernel without it would, EOPNOTSUPP). The both-families
 * answer interleaves the families, as the kernel's established hash does.
 */
function kernelNetlink(rows: readonly Row[], refusesBothFamilies = false): () => Promise<NetlinkSocket> {
  return async () => {
    const replies: Buffer[] = [];
    return {
      async send(req) {
        const bothFamilies = req.readUInt16LE(4) === TCPDIAG_GETSOCK;
        if (bothFamilies && refusesBothFamilies) {
          replies.push(control(NLMSG_ERROR, 95));
          return;
        }
        const family = bothFamilies ? undefined : req[16] === AF_INET ? 'ipv4' : req[16] === AF_INET6 ? 'ipv6' : 'none';
        const states = req.readUInt32LE(bothFamilies ? 68 : 20);
        const matching = rows.filter((r) => (family === undefined || r.family === family) && (states & (1 << STATE_CODE[r.state])) !== 0);
        if (bothFamilies) matching.sort((a, b) => (a.inode % 2) - (b.inode % 2));
        replies.push(
          Buffer.concat([
            ...matching.map((r) =>
              diagMessage({
                family: r.family === 'ipv4' ? AF_INET : AF_INET6,
                state: STATE_CODE[r.state],
                localPort: r.localPort,
                remotePort: r.remotePort,
                inode: r.inode,
              }),
            ),
            control(NLMSG_DONE),
          ]),
        );
      },
      receiveQueued: (batch) => fillBatch(batch, replies),
      receiveWaiting: (buf) => new Promise<number>((resolve) => setImmediate(() => resolve(replies.shift()?.copy(buf) ?? 0))),
      close: () => undefined,
    };
  };
}

/** systeminformation's entries as netstat lists them: per family, in the kernel's order. */
function connectionEntries(rows: readonly Row[]): ConnectionEntry[] {
  return rows.map((r) => ({
    protocol: r.family === 'ipv4' ? 'tcp' : 'tcp6',
    localAddress: r.family === 'ipv4' ? '127.0.0.1' : '::1',
    localPort: String(r.localPort),
    peerPort: r.state === 'listen' ? '*' : String(r.remotePort),
    state: r.state.toUpperCase(),
  }));
}

/** A primary that feeds part of the table and then fails, as a netlink dump cut off by ENOBUFS. */
function failingMidway(rows: readonly Row[]): SocketSource {
  return {
    name: 'netlink',
    reportsKernelDetail: true,
    async walk(sink: SocketSink): Promise<WalkReport> {
      const r = newSocketRecord();
      r.family = rows[1]!.family;
      r.state = STATE_CODE[rows[1]!.state];
      r.localPort = rows[1]!.localPort;
      sink.add(r);
      throw new Error('netlink recv failed: ENOBUFS: No buffer space available');
    },
  };
}

const SOURCES: ReadonlyArray<[string, (rows: readonly Row[]) => SocketSource]> = [
  ['netlink', (rows) => new NetlinkSocketSource(kernelNetlink(rows))],
  ['netlink (a kernel refusing TCPDIAG_GETSOCK: a dump per family)', (rows) => new NetlinkSocketSource(kernelNetlink(rows, true))],
  ['procfs', (rows) => new ProcfsSocketSource(procTree(rows))],
  ['systeminformation', (rows) => new SysteminformationSocketSource(async () => connectionEntries(rows))],
  ['fallback (primary fails midway, procfs)', (rows) => new FallbackSocketSource(failingMidway(rows), new ProcfsSocketSource(procTree(rows)))],
  ['fallback (primary works)', (rows) => new FallbackSocketSource(new NetlinkSocketSource(kernelNetlink(rows)), new ProcfsSocketSource(procTree(rows)))],
];

describe.each(SOURCES)('SocketSource contract: %s', (_name, sourceFor) => {
  it('feeds the listeners of both families before any other socket', async () => {
    const sink = new Recorder();
    await sourceFor(TABLE).walk(sink, sink.restart);
    const firstOther = sink.seen.findIndex((s) => !s.listener);
    const lastListener = sink.seen.map((s) => s.listener).lastIndexOf(true);
    expect(firstOther).toBeGreaterThan(0);
    expect(lastListener, sink.seen.map((s) => s.key).join(', ')).toBeLessThan(firstOther);
  });

  it('feeds each socket once', async () => {
    const sink = new Recorder();
    await sourceFor(TABLE).walk(sink, sink.restart);
    expect(sink.seen.map((s) => s.key).sort()).toEqual(TABLE.map(key).sort());
  });

  it("so an IPv4 socket on an IPv6 listener's port counts as that port's server socket", async () => {
    const aggregator = new SocketAggregator(DEFAULT_PORT_LIMITS);
    aggregator.reset(null);
    await sourceFor(TABLE).walk(aggregator, () => aggregator.reset(null));
    const s = aggregator.summarize();
    const states = (ports: typeof s.serverPorts, port: string) => {
      const p = ports.find((q) => q.port === port);
      return p ? { listen: p.states[LISTEN], established: p.states[STATE_CODE.established] } : undefined;
    };
    expect(states(s.serverPorts, '9000')).toEqual({ listen: 1, established: 1 });
    expect(states(s.serverPorts, '80')).toEqual({ listen: 1, established: 1 });
    expect(states(s.clientPorts, '443')).toEqual({ listen: 0, established: 1 });
    expect(states(s.clientPorts, '80')).toBeUndefined();
  });
});

describe('FallbackSocketSource', () => {
  it('starts the sink over before the fallback walks, and says why in the report', async () => {
    const sink = new Recorder();
    const report = await new FallbackSocketSource(failingMidway(TABLE), new ProcfsSocketSource(procTree(TABLE))).walk(sink, sink.restart);
    expect(sink.restarts).toBe(1);
    expect(report.fellBack).toEqual({ source: 'procfs', primaryError: 'netlink recv failed: ENOBUFS: No buffer space available' });
  });

  it('throws the primary failure when the sink cannot start over (no restart given)', async () => {
    const source = new FallbackSocketSource(failingMidway(TABLE), new ProcfsSocketSource(procTree(TABLE)));
    await expect(source.walk(new Recorder())).rejects.toThrow(/ENOBUFS/);
  });
});

describe('ProcfsSocketSource: listeners read twice', () => {
  it('feeds a listener a hand-made file lists after other rows where it stands, once', async () => {
    const late: Row = { family: 'ipv4', state: 'listen', localPort: 81, remotePort: 0, inode: 14 };
    const sink = new Recorder();
    await new ProcfsSocketSource(procTree([...TABLE, late])).walk(sink);
    expect(sink.seen.map((s) => s.key).sort()).toEqual([...TABLE, late].map(key).sort());
    expect(sink.seen.at(-2)!.key).toBe(key(late)); // after the IPv4 connections, before tcp6's other sockets
  });

  /**
   * The head read (listeners only) and the full read of net/tcp are two opens of the file; a
   * listener may open or close in between. Here net/tcp6 is a FIFO: when its head read opens it,
   * net/tcp's head read is over, and net/tcp is rewritten before its full read begins; then the
   * FIFO is swapped for a plain file (the head read keeps the FIFO it opened) and answered.
   */
  async function walkWithTcpChangedBetweenReads(before: readonly Row[], after: readonly Row[]): Promise<Recorder> {
    const v6 = TABLE.filter((r) => r.family === 'ipv6');
    const dir = procTree([...before, ...v6]);
    const tcp6 = join(dir, 'net/tcp6');
    unlinkSync(tcp6);
    execFileSync('mkfifo', [tcp6]);
    const sink = new Recorder();
    const walk = new ProcfsSocketSource(dir).walk(sink);
    const writer = await open(tcp6, 'w'); // returns once the tcp6 head read has opened it
    writeFileSync(join(dir, 'net/tcp'), procTable(after));
    unlinkSync(tcp6);
    writeFileSync(tcp6, procTable(v6));
    await writer.write(procTable(v6));
    await writer.close();
    await walk;
    return sink;
  }

  const L = (port: number, inode: number): Row => ({ family: 'ipv4', state: 'listen', localPort: port, remotePort: 0, inode });
  const E: Row = { family: 'ipv4', state: 'established', localPort: 80, remotePort: 50000, inode: 30 };

  it.runIf(haveTool('mkfifo'))('counts a listener opened between the two reads once, and every other once', async () => {
    // The new listener (79) hashes ahead of 80: counting 1 head listener would skip 79 and feed 80 twice.
    const sink = await walkWithTcpChangedBetweenReads([L(80, 1), E], [L(79, 7), L(80, 1), E]);
    const v4 = sink.seen.filter((s) => s.key.startsWith('ipv4')).map((s) => s.key);
    expect(v4.sort()).toEqual([L(79, 7), L(80, 1), E].map(key).sort());
  });

  it.runIf(haveTool('mkfifo'))('loses no listener when one closes and another opens between the two reads', async () => {
    // 80 closed, 82 opened: counting 2 head listeners would skip 81 and 82, and 82 would be lost.
    const sink = await walkWithTcpChangedBetweenReads([L(80, 1), L(81, 2), E], [L(81, 2), L(82, 3), E]);
    const v4 = sink.seen.filter((s) => s.key.startsWith('ipv4')).map((s) => s.key);
    expect(v4.sort()).toEqual([L(80, 1), L(81, 2), L(82, 3), E].map(key).sort());
  });
});
