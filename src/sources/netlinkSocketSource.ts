import { newSocketRecord, type SocketRecord, type SocketSink } from '../model/socketRecord.js';
import { isStateCode } from '../model/tcpState.js';
import { AF_INET, AF_INET6, buildInetDiagDumpRequest, DIAG, EXT_INFO, findDiagAttribute, INET_DIAG_INFO, TCPF_ALL, TCPF_LISTEN, viewOf } from '../parse/inetDiag.js';
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
    const onMessage = (buf: Buffer, off: number, end: number, view: DataView): void => {
      if (readInetDiagMsg(buf, off, record, view)) {
        if (tcpInfo) readInfoAttribute(view, off, end, record);
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

/**
 * Fills the record from the inet_diag_msg at `off`; false for a family or state out of range.
 * `view` spans `buf` (the walk passes the datagram's, see parseInetDiagBatch).
 */
export function readInetDiagMsg(buf: Buffer, off: number, r: SocketRecord, view: DataView = viewOf(buf)): boolean {
  const family = buf[off + DIAG.family];
  const state = buf[off + DIAG.state]!;
  if (!isStateCode(state) || (family !== AF_INET && family !== AF_INET6)) return false;
  const local = r.localAddress;
  const remote = r.remoteAddress;
  const src = off + DIAG.src;
  const dst = off + DIAG.dst;
  // Addresses are network order already. A byte copy: Buffer.copy is a native call, and for 4 to
  // 16 bytes the call costs more than the copy. IPv4 uses the first word of the 16 bytes; the
  // other 12 are zero, and stay so from one IPv4 socket to the next (a walk lists a family's
  // sockets together), so they are cleared only after an IPv6 socket.
  if (family === AF_INET) {
    if (r.family !== 'ipv4') {
      local.fill(0);
      remote.fill(0);
    }
    for (let i = 0; i < 4; i++) {
      local[i] = buf[src + i]!;
      remote[i] = buf[dst + i]!;
    }
  } else {
    for (let i = 0; i < 16; i++) {
      local[i] = buf[src + i]!;
      remote[i] = buf[dst + i]!;
    }
  }
  r.family = family === AF_INET ? 'ipv4' : 'ipv6';
  r.state = state;
  r.timer = buf[off + DIAG.timer]!;
  r.localPort = view.getUint16(off + DIAG.sport);
  r.remotePort = view.getUint16(off + DIAG.dport);
  r.rxQueue = view.getUint32(off + DIAG.rqueue, true);
  r.txQueue = view.getUint32(off + DIAG.wqueue, true);
  r.uid = view.getUint32(off + DIAG.uid, true);
  r.inode = view.getUint32(off + DIAG.inode, true);
  return true;
}

const attrLength = { value: 0 };
/**
 * Where the last INET_DIAG_INFO attribute was, from its message's start, and its length. The
 * attributes before it are the same for every full socket of a dump (inet_diag_msg_attrs_fill():
 * SHUTDOWN, SKV6ONLY for IPv6, MARK with CAP_NET_ADMIN, CGROUP_ID, SOCKOPT, each of fixed size,
 * then INET_DIAG_INFO), so the next socket's is almost always at the same place: one header read
 * instead of a walk over the attributes before it (measured: a sixth of the cycle's JS at 1M).
 * A header there that is not INET_DIAG_INFO of the same length falls back to the walk.
 */
let infoAt = -1;
let infoLength = 0;

/**
 * record.info.rttUs and .retransmits from the message's INET_DIAG_INFO attribute, -1 without one
 * (TIME_WAIT, SYN_RECV); the walk needs no other field (see readTcpInfoRtt).
 */
function readInfoAttribute(view: DataView, off: number, end: number, r: SocketRecord): void {
  const a = off + infoAt;
  if (infoAt > 0 && a + 4 + infoLength <= end && view.getUint16(a, true) === infoLength + 4 && (view.getUint16(a + 2, true) & 0x3fff) === INET_DIAG_INFO) {
    readTcpInfoRtt(view, a + 4, infoLength, r.info);
    return;
  }
  const at = findDiagAttribute(view, off, end, INET_DIAG_INFO, attrLength);
  if (at >= 0) {
    infoAt = at - 4 - off;
    infoLength = attrLength.value;
  }
  readTcpInfoRtt(view, at, at < 0 ? 0 : attrLength.value, r.info);
}
