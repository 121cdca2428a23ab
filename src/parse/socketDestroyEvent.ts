import type { ClosedSocket } from '../model/closedSocket.js';
import { AF_INET, AF_INET6, DIAG, findDiagAttribute, INET_DIAG_INFO, INET_DIAG_MSG_LEN, NLMSG_HDRLEN, SOCK_DIAG_BY_FAMILY, viewOf } from './inetDiag.js';
import { readTcpInfo } from './tcpInfo.js';

/*
 * Destroy events of the sock_diag multicast groups SKNLGRP_INET_TCP_DESTROY (1) and
 * SKNLGRP_INET6_TCP_DESTROY (3). When a full TCP socket is freed while some socket of its network
 * namespace listens to its group, __sk_free() hands it to sock_diag_broadcast_destroy(), whose work
 * item (net/core/sock_diag.c) builds one SOCK_DIAG_BY_FAMILY message with
 * inet_diag_handler_get_info() (net/ipv4/inet_diag.c) and multicasts it: a datagram holding an
 * nlmsghdr, an inet_diag_msg (family, state TCP_CLOSE, ports, addresses; timer, uid and inode
 * zero) and two attributes, INET_DIAG_PROTOCOL (u8) and INET_DIAG_INFO (struct tcp_info, as
 * the socket left it). TIME_WAIT and SYN_RECV mini-sockets are not full sockets: an active
 * closer's socket is reported when it turns into its TIME_WAIT mini-socket.
 */

export interface DestroyDatagramResult {
  /** Socket destroy messages passed to onEvent. */
  events: number;
  /** Messages skipped: truncated, or not an inet_diag_msg of a known family. */
  malformed: number;
}

const attrLength = { value: 0 };

/**
 * Reads the netlink messages in buf[off, off + length) (one datagram), fills `record` from each
 * socket destroy message and calls onEvent with it. A message without INET_DIAG_INFO leaves
 * record.info at -1 everywhere.
 */
export function parseSocketDestroyDatagram(
  buf: Buffer,
  off: number,
  length: number,
  record: ClosedSocket,
  onEvent: (s: Readonly<ClosedSocket>) => void,
): DestroyDatagramResult {
  const result: DestroyDatagramResult = { events: 0, malformed: 0 };
  const end = off + length;
  const view = viewOf(buf);
  let m = off;
  while (m + NLMSG_HDRLEN <= end) {
    const len = buf.readUInt32LE(m);
    if (len < NLMSG_HDRLEN || m + len > end) {
      result.malformed++;
      break;
    }
    if (buf.readUInt16LE(m + 4) === SOCK_DIAG_BY_FAMILY) {
      if (readDestroyMessage(buf, view, m + NLMSG_HDRLEN, m + len, record)) {
        result.events++;
        onEvent(record);
      } else {
        result.malformed++;
      }
    }
    m += (len + 3) & ~3;
  }
  return result;
}

function readDestroyMessage(buf: Buffer, view: DataView, off: number, end: number, r: ClosedSocket): boolean {
  if (end - off < INET_DIAG_MSG_LEN) return false;
  const family = buf[off + DIAG.family];
  if (family !== AF_INET && family !== AF_INET6) return false;
  r.family = family === AF_INET ? 'ipv4' : 'ipv6';
  r.localPort = buf.readUInt16BE(off + DIAG.sport);
  r.remotePort = buf.readUInt16BE(off + DIAG.dport);
  // idiag_dst: 4 bytes for IPv4, 16 for IPv6; non-zero with port 0 only after tcp_disconnect().
  const dst = off + DIAG.dst;
  r.disconnected = r.remotePort === 0 && (buf.readUInt32BE(dst) !== 0 || (family === AF_INET6 && (buf.readUInt32BE(dst + 4) | buf.readUInt32BE(dst + 8) | buf.readUInt32BE(dst + 12)) !== 0));
  const info = findDiagAttribute(view, off, end, INET_DIAG_INFO, attrLength);
  readTcpInfo(buf, info, info < 0 ? 0 : attrLength.value, r.info);
  return true;
}
