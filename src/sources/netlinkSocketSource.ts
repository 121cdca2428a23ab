import { newSocketRecord, type SocketRecord, type SocketSink } from '../model/socketRecord.js';
import { isStateCode } from '../model/tcpState.js';
import { AF_INET, AF_INET6, buildInetDiagDumpRequest, DIAG, EXT_INFO, findDiagAttribute, INET_DIAG_INFO, TCPF_ALL, TCPF_LISTEN } from '../parse/inetDiag.js';
import { readTcpInfoRtt } from '../parse/tcpInfo.js';
import { dumpSockDiag } from './netlink/dump.js';
import { openSockDiag, type NetlinkSocket } from './netlink/libcNetlink.js';
import type { SocketSource, TableReport, WalkOptions, WalkReport } from './socketSource.js';

/**
 * The socket table over sock_diag netlink, as `ss` reads it: SOCK_DIAG_BY_FAMILY dumps, no
 * extensions. Each inet_diag_msg is read in place from the receive buffer into the reused record:
 * nothing is allocated per socket, and the kernel formats no text. For LISTEN sockets the queues
 * are the accept-queue length and the configured backlog.
 *
 * Listeners first (SocketSource.walk): a LISTEN-only dump per family, then one of every other
 * state. This costs no extra kernel work: a LISTEN-only dump walks just the listening hash, and a
 * dump without LISTEN skips it.
 *
 * With WalkOptions.tcpInfo, the non-LISTEN passes ask for INET_DIAG_INFO: the kernel fills a
 * struct tcp_info for every full socket (taking each socket's lock, as `ss -ti` makes it do), and
 * each message grows from 124 to 408 bytes (6.18), so a datagram holds a third as many sockets.
 */
const PASSES = [
  { family: AF_INET, states: TCPF_LISTEN },
  { family: AF_INET6, states: TCPF_LISTEN },
  { family: AF_INET, states: TCPF_ALL & ~TCPF_LISTEN },
  { family: AF_INET6, states: TCPF_ALL & ~TCPF_LISTEN },
] as const;

export class NetlinkSocketSource implements SocketSource {
  readonly name = 'netlink' as const;
  readonly reportsKernelDetail = true;

  constructor(private readonly open: () => Promise<NetlinkSocket> = openSockDiag) {}

  async walk(sink: SocketSink, _restart?: () => void, options: WalkOptions = {}): Promise<WalkReport> {
    const tcpInfo = options.tcpInfo === true;
    const record = newSocketRecord();
    const sock = await this.open();
    const tables: TableReport[] = [
      { table: 'netlink/ipv4', sockets: 0, malformed: 0, present: true },
      { table: 'netlink/ipv6', sockets: 0, malformed: 0, present: true },
    ];
    let table = tables[0]!;
    // One callback for every pass: the parser's call site stays monomorphic.
    const onMessage = (buf: Buffer, off: number, end: number): void => {
      if (readInetDiagMsg(buf, off, record)) {
        if (tcpInfo) readInfoAttribute(buf, off, end, record);
        table.sockets++;
        sink.add(record);
      } else {
        table.malformed++;
      }
    };
    try {
      for (const [seq, { family, states }] of PASSES.entries()) {
        table = tables[family === AF_INET ? 0 : 1]!;
        const ext = tcpInfo && states !== TCPF_LISTEN ? EXT_INFO : 0;
        if (table.present) table.present = await dumpSockDiag(sock, buildInetDiagDumpRequest(family, states, seq + 1, ext), family === AF_INET6, onMessage);
      }
    } finally {
      sock.close();
    }
    return tcpInfo ? { tables, backlogSource: 'netlink', tcpInfo } : { tables, backlogSource: 'netlink' };
  }
}

/** Fills the record from the inet_diag_msg at `off`; false for a family or state out of range. */
export function readInetDiagMsg(buf: Buffer, off: number, r: SocketRecord): boolean {
  const family = buf[off + DIAG.family];
  const state = buf[off + DIAG.state]!;
  if (!isStateCode(state) || (family !== AF_INET && family !== AF_INET6)) return false;
  r.family = family === AF_INET ? 'ipv4' : 'ipv6';
  r.state = state;
  r.timer = buf[off + DIAG.timer]!;
  r.localPort = buf.readUInt16BE(off + DIAG.sport);
  r.remotePort = buf.readUInt16BE(off + DIAG.dport);
  r.rxQueue = buf.readUInt32LE(off + DIAG.rqueue);
  r.txQueue = buf.readUInt32LE(off + DIAG.wqueue);
  r.uid = buf.readUInt32LE(off + DIAG.uid);
  r.inode = buf.readUInt32LE(off + DIAG.inode);
  // Addresses are network order already; IPv4 uses the first word of the 16 bytes. A byte loop:
  // Buffer.copy is a native call, and for 4 to 16 bytes the call costs more than the copy.
  const len = family === AF_INET ? 4 : 16;
  const local = r.localAddress;
  const remote = r.remoteAddress;
  const src = off + DIAG.src;
  const dst = off + DIAG.dst;
  for (let i = 0; i < 16; i++) {
    local[i] = i < len ? buf[src + i]! : 0;
    remote[i] = i < len ? buf[dst + i]! : 0;
  }
  return true;
}

const attrLength = { value: 0 };

/**
 * record.info.rttUs and .retransmits from the message's INET_DIAG_INFO attribute, -1 without one
 * (TIME_WAIT, SYN_RECV); the walk needs no other field (see readTcpInfoRtt).
 */
function readInfoAttribute(buf: Buffer, off: number, end: number, r: SocketRecord): void {
  const at = findDiagAttribute(buf, off, end, INET_DIAG_INFO, attrLength);
  readTcpInfoRtt(buf, at, at < 0 ? 0 : attrLength.value, r.info);
}
