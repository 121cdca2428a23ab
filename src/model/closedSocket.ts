import { newTcpInfoFields, type TcpInfoFields } from './tcpInfo.js';

/**
 * A TCP socket the kernel destroyed, as a sock_diag destroy event reports it. The reader owns one
 * instance and overwrites it for every event; a consumer copies what it keeps.
 */
export interface ClosedSocket {
  family: 'ipv4' | 'ipv6';
  localPort: number;
  /** 0 for a socket that never had a peer: a listener, or one closed before connect(). */
  remotePort: number;
  /** The socket's struct tcp_info at destruction; every field -1 when the event carried none. */
  readonly info: TcpInfoFields;
}

export function newClosedSocket(): ClosedSocket {
  return { family: 'ipv4', localPort: 0, remotePort: 0, info: newTcpInfoFields() };
}
