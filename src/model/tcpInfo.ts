/**
 * The struct tcp_info fields the exporter uses (include/uapi/linux/tcp.h; parse/tcpInfo.ts reads
 * them), reused from socket to socket; -1 where the kernel sent none or a struct too short to hold
 * the field.
 */
export interface TcpInfoFields {
  /**
   * tcpi_retransmits (icsk_retransmits): RTO retransmissions in a row that the peer has not
   * acknowledged; back to 0 with the next ACK that moves snd_una. Zero-window probes and fast
   * retransmits do not count here.
   */
  retransmits: number;
  /** tcpi_rtt: smoothed round-trip time in microseconds (srtt_us >> 3; 0 before the first sample). */
  rttUs: number;
  /** tcpi_total_retrans: segments retransmitted over the socket's life. */
  totalRetrans: number;
  /** tcpi_bytes_acked: sequence space the peer acknowledged, SYN (active opener only) and FIN included. */
  bytesAcked: number;
  /** tcpi_bytes_received: sequence space received in order, the peer's FIN included once it arrived. */
  bytesReceived: number;
  /** tcpi_segs_out / tcpi_segs_in: segments sent and received, control segments and retransmissions included. */
  segsOut: number;
  segsIn: number;
  /** tcpi_bytes_sent: data bytes transmitted, each retransmission counted again (no SYN, no FIN). */
  bytesSent: number;
  /** tcpi_bytes_retrans: data bytes retransmitted. */
  bytesRetrans: number;
}

export function newTcpInfoFields(): TcpInfoFields {
  return { retransmits: -1, rttUs: -1, totalRetrans: -1, bytesAcked: -1, bytesReceived: -1, segsOut: -1, segsIn: -1, bytesSent: -1, bytesRetrans: -1 };
}

