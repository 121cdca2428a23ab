import type { TcpInfoFields } from '../model/tcpInfo.js';

/*
 * struct tcp_info (include/uapi/linux/tcp.h), the payload of a TCP sock_diag message's
 * INET_DIAG_INFO attribute, in host byte order (little-endian hosts assumed, as for the rest of
 * sock_diag). The attribute is as long as the running kernel's struct, which has only ever grown at
 * its end: 104 bytes up to tcpi_total_retrans in 2.6, 280 bytes in 6.18. So every field is read
 * only when the attribute reaches past it, and a missing field reads as -1.
 *
 * Offsets (bytes from the start of the struct):
 *   0 u8 tcpi_state            2 u8 tcpi_retransmits      4 u8 tcpi_backoff
 *  68 u32 tcpi_rtt (µs)       100 u32 tcpi_total_retrans
 * 120 u64 tcpi_bytes_acked    128 u64 tcpi_bytes_received  (Linux 4.1)
 * 136 u32 tcpi_segs_out       140 u32 tcpi_segs_in         (Linux 4.2)
 * 200 u64 tcpi_bytes_sent     208 u64 tcpi_bytes_retrans   (Linux 4.19)
 */

/** Field offsets inside struct tcp_info. */
export const TCP_INFO = {
  retransmits: 2,
  rtt: 68,
  totalRetrans: 100,
  bytesAcked: 120,
  bytesReceived: 128,
  segsOut: 136,
  segsIn: 140,
  bytesSent: 200,
  bytesRetrans: 208,
} as const;

/**
 * Reads the fields of the struct tcp_info in buf[off, off + len) into `out`, each only when `len`
 * covers it (older kernels send a shorter struct). u64 counters are read as two u32 halves: exact
 * up to 2^53 bytes, without a BigInt per socket.
 */
export function readTcpInfo(buf: Buffer, off: number, len: number, out: TcpInfoFields): void {
  out.retransmits = len > TCP_INFO.retransmits ? buf[off + TCP_INFO.retransmits]! : -1;
  out.rttUs = len >= TCP_INFO.rtt + 4 ? buf.readUInt32LE(off + TCP_INFO.rtt) : -1;
  out.totalRetrans = len >= TCP_INFO.totalRetrans + 4 ? buf.readUInt32LE(off + TCP_INFO.totalRetrans) : -1;
  out.bytesAcked = len >= TCP_INFO.bytesAcked + 8 ? u64(buf, off + TCP_INFO.bytesAcked) : -1;
  out.bytesReceived = len >= TCP_INFO.bytesReceived + 8 ? u64(buf, off + TCP_INFO.bytesReceived) : -1;
  out.segsOut = len >= TCP_INFO.segsOut + 4 ? buf.readUInt32LE(off + TCP_INFO.segsOut) : -1;
  out.segsIn = len >= TCP_INFO.segsIn + 4 ? buf.readUInt32LE(off + TCP_INFO.segsIn) : -1;
  out.bytesSent = len >= TCP_INFO.bytesSent + 8 ? u64(buf, off + TCP_INFO.bytesSent) : -1;
  out.bytesRetrans = len >= TCP_INFO.bytesRetrans + 8 ? u64(buf, off + TCP_INFO.bytesRetrans) : -1;
}

function u64(buf: Buffer, off: number): number {
  return buf.readUInt32LE(off) + buf.readUInt32LE(off + 4) * 0x1_0000_0000;
}

/**
 * Only tcpi_rtt and tcpi_retransmits, what the socket walk uses (--collector.tcpinfo): a walk
 * reads a tcp_info per socket, a million per cycle on a busy host, and the other seven fields
 * cost as much again. The other fields of `out` are left as they are. A DataView over the datagram
 * (the walk keeps one per datagram): its getters are a load each in optimized code.
 */
export function readTcpInfoRtt(view: DataView, off: number, len: number, out: TcpInfoFields): void {
  out.retransmits = len > TCP_INFO.retransmits ? view.getUint8(off + TCP_INFO.retransmits) : -1;
  // Read as int32: a u32 read comes back as a double, checked and converted back for every socket.
  // tcpi_rtt is tp->srtt_us >> 3 (tcp_get_info(); srtt_us is a u32 of 8x the RTT), below 2^29.
  out.rttUs = len >= TCP_INFO.rtt + 4 ? view.getInt32(off + TCP_INFO.rtt, true) : -1;
}
