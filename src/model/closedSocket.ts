import { newTcpInfoFields, type TcpInfoFields } from './tcpInfo.js';

/**
 * A TCP socket the kernel destroyed, as a sock_diag destroy event reports it. The reader owns one
 * instance and overwrites it for every event; a consumer copies what it keeps.
 */
export interface ClosedSocket {
  family: 'ipv4' | 'ipv6';
  localPort: number;
  /**
   * 0 for a socket that never had a peer (a listener, or one closed before connect()), and for a
   * connection the kernel disconnected before its destruction: tcp_disconnect() zeroes the peer's
   * port and the socket's counters but leaves its address (see `disconnected`).
   */
  remotePort: number;
  /**
   * Remote port 0 but a peer address: disconnected by the kernel with tcp_disconnect(), its
   * tcp_info zeroed. Either a child still in a listener's accept queue when the listener closed
   * (inet_csk_listen_stop(); the local port is the listener's) or a blocking connect() that failed
   * (__inet_stream_connect()'s error path; the local port is the client's, usually ephemeral).
   */
  disconnected: boolean;
  /** The socket's struct tcp_info at destruction; every field -1 when the event carried none. */
  readonly info: TcpInfoFields;
}

export function newClosedSocket(): ClosedSocket {
  return { family: 'ipv4', localPort: 0, remotePort: 0, disconnected: false, info: newTcpInfoFields() };
}
