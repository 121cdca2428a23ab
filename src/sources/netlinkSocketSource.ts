import { HOST_IS_LITTLE_ENDIAN } from '../model/byteOrder.js';
import { newSocketRecord, type SocketRecord, type SocketSink } from '../model/socketRecord.js';
import { isStateCode } from '../model/tcpState.js';
import { AF_INET, AF_INET6, buildInetDiagDumpRequest, buildTcpDiagDumpRequest, DIAG, EXT_INFO, findDiagAttribute, INET_DIAG_INFO, NLA_HDRLEN, TCPF_ALL, TCPF_LISTEN, viewOf } from '../parse/inetDiag.js';
import { readTcpInfoRtt } from '../parse/tcpInfo.js';
import { DumpError, dumpSockDiag } from './netlink/dump.js';
import { openSockDiag, type NetlinkSocket } from './netlink/libcNetlink.js';
import type { SocketSource, TableReport, WalkOptions, WalkReport } from './socketSource.js';

/**
 * The socket table over sock_diag netlink, as `ss` reads it. Each inet_diag_msg is read in place
 * from the receive buffer into the reused record: nothing is allocated per socket, and the kernel
 * formats no text. For LISTEN sockets the queues are the accept-queue length and the configured
 * backlog.
 *
 * Listeners first (SocketSource.walk): a LISTEN-only SOCK_DIAG_BY_FAMILY dump per family (it
 * walks just the listening hash; it also tells whether the kernel has IPv6), then one
 * TCPDIAG_GETSOCK dump of every other state of both families: the kernel walks its established
 * hash once, where a dump per family walks it twice (buildTcpDiagDumpRequest). A kernel that
 * refuses that request (it has answered it since 2.6, but it is the older interface) gets a
 * SOCK_DIAG_BY_FAMILY dump per family from then on.
 *
 * With WalkOptions.tcpInfo, the non-LISTEN dump asks for INET_DIAG_INFO: the kernel fills a
 * struct tcp_info for every full socket (taking each socket's lock, as `ss -ti` makes it do), and
 * each message grows from 124 to 408 bytes (6.18), so a datagram holds a third as many sockets.
 */
const LISTEN_PASSES = [AF_INET, AF_INET6] as const;
const OTHER_STATES = TCPF_ALL & ~TCPF_LISTEN;

export class NetlinkSocketSource implements SocketSource {
  readonly name = 'netlink' as const;
  readonly reportsKernelDetail = true;
  /** Whether the kernel answers TCPDIAG_GETSOCK: unknown until a walk asks. */
  private bothFamiliesDump: boolean | undefined;

  constructor(private readonly open: () => Promise<NetlinkSocket> = openSockDiag) {}

  async walk(sink: SocketSink, _restart?: () => void, options: WalkOptions = {}): Promise<WalkReport> {
    const tcpInfo = options.tcpInfo === true;
    const ext = tcpInfo ? EXT_INFO : 0;
    const record = newSocketRecord();
    const sock = await this.open();
    const ipv4: TableReport = { table: 'netlink/ipv4', sockets: 0, malformed: 0, present: true };
    const ipv6: TableReport = { table: 'netlink/ipv6', sockets: 0, malformed: 0, present: true };
    // One callback for every dump: the parser's call site stays monomorphic. The table is the
    // message's family's (the both-families dump mixes them).
    const onMessage = (buf: Buffer, off: number, end: number, view: DataView): void => {
      const table = buf[off + DIAG.family] === AF_INET6 ? ipv6 : ipv4;
      if (readInetDiagMsg(buf, off, record, view)) {
        if (tcpInfo) readInfoAttribute(view, off, end, record);
        table.sockets++;
        sink.add(record);
      } else {
        table.malformed++;
      }
    };
    let seq = 0;
    const dumpFamily = async (family: number, states: number, extBits: number): Promise<void> => {
      const table = family === AF_INET ? ipv4 : ipv6;
      if (table.present) table.present = await dumpSockDiag(sock, buildInetDiagDumpRequest(family, states, ++seq, extBits), family === AF_INET6, onMessage);
    };
    try {
      for (const family of LISTEN_PASSES) await dumpFamily(family, TCPF_LISTEN, 0);
      if (this.bothFamiliesDump !== false) {
        // Messages fed so far, malformed ones included: the tables' counts, not a counter per socket.
        const fed = (): number => ipv4.sockets + ipv4.malformed + ipv6.sockets + ipv6.malformed;
        const before = fed();
        try {
          await dumpSockDiag(sock, buildTcpDiagDumpRequest(OTHER_STATES, ++seq, ext), false, onMessage);
          this.bothFamiliesDump = true;
        } catch (err) {
          // Refused before any socket came: a kernel without the request. Anything else fails the walk.
          if (!(err instanceof DumpError && err.errno !== 0 && this.bothFamiliesDump === undefined && fed() === before)) throw err;
          this.bothFamiliesDump = false;
        }
      }
      if (this.bothFamiliesDump === false) for (const family of LISTEN_PASSES) await dumpFamily(family, OTHER_STATES, ext);
    } finally {
      sock.close();
    }
    const tables = [ipv4, ipv6];
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
  const local = r.localAddressWords;
  const remote = r.remoteAddressWords;
  const src = off + DIAG.src;
  const dst = off + DIAG.dst;
  // Addresses are network order already: each word is read in the host's order and written
  // through the record's words (the host's order too), so the bytes land as they came on any
  // host. IPv4 uses the first word of the 16 bytes; the other three are zero, and stay so from
  // one IPv4 socket to the next, so they are cleared only after an IPv6 socket (on most hosts
  // nearly every socket is IPv4, or the sockets of a family come together: a per-family dump).
  local[0] = view.getUint32(src, HOST_IS_LITTLE_ENDIAN);
  remote[0] = view.getUint32(dst, HOST_IS_LITTLE_ENDIAN);
  if (family === AF_INET) {
    if (r.family !== 'ipv4') {
      local.fill(0, 1);
      remote.fill(0, 1);
    }
    r.family = 'ipv4';
  } else {
    for (let i = 4; i < 16; i += 4) {
      local[i >> 2] = view.getUint32(src + i, HOST_IS_LITTLE_ENDIAN);
      remote[i >> 2] = view.getUint32(dst + i, HOST_IS_LITTLE_ENDIAN);
    }
    r.family = 'ipv6';
  }
  r.state = state;
  r.timer = buf[off + DIAG.timer]!;
  // sport and dport are adjacent big-endian u16s: one big-endian read of both.
  const ports = view.getUint32(off + DIAG.sport);
  r.localPort = ports >>> 16;
  r.remotePort = ports & 0xffff;
  r.rxQueue = view.getUint32(off + DIAG.rqueue, true);
  r.txQueue = view.getUint32(off + DIAG.wqueue, true);
  r.uid = view.getUint32(off + DIAG.uid, true);
  r.inode = view.getUint32(off + DIAG.inode, true);
  return true;
}

const attrLength = { value: 0 };
/**
 * Where the last INET_DIAG_INFO attribute was, from its message's start, and its length, per
 * family (index 0 IPv4, 1 IPv6). The attributes before it are the same for every full socket of a
 * family (inet_diag_msg_attrs_fill(): SHUTDOWN, SKV6ONLY for IPv6 only, MARK with CAP_NET_ADMIN,
 * CGROUP_ID, SOCKOPT, each of fixed size, then INET_DIAG_INFO), so the next socket's is almost
 * always at the same place: one header read instead of a walk over the attributes before it
 * (measured: a sixth of the cycle's JS at 1M). A header there that is not INET_DIAG_INFO of the
 * same length falls back to the walk.
 */
const infoAt = [-1, -1];
const infoLength = [0, 0];

/**
 * record.info.rttUs and .retransmits from the message's INET_DIAG_INFO attribute, -1 without one
 * (TIME_WAIT, SYN_RECV); the walk needs no other field (see readTcpInfoRtt).
 */
function readInfoAttribute(view: DataView, off: number, end: number, r: SocketRecord): void {
  const f = r.family === 'ipv4' ? 0 : 1;
  const at0 = infoAt[f]!;
  const length = infoLength[f]!;
  const a = off + at0;
  if (at0 > 0 && a + NLA_HDRLEN + length <= end && view.getUint16(a, true) === length + NLA_HDRLEN && (view.getUint16(a + 2, true) & 0x3fff) === INET_DIAG_INFO) {
    readTcpInfoRtt(view, a + NLA_HDRLEN, length, r.info);
    return;
  }
  const at = findDiagAttribute(view, off, end, INET_DIAG_INFO, attrLength);
  if (at >= 0) {
    infoAt[f] = at - NLA_HDRLEN - off;
    infoLength[f] = attrLength.value;
  }
  readTcpInfoRtt(view, at, at < 0 ? 0 : attrLength.value, r.info);
}
