import { newClosedSocket, type ClosedSocket } from '../../src/model/closedSocket.js';

/**
 * A destroyed socket as the destroy-event parser fills it: ports, and tcp_info fields at zero but
 * those given (-1 for a field the kernel did not send).
 */
export function closedSocket(localPort: number, remotePort: number, info: Partial<ClosedSocket['info']> = {}, disconnected = false): ClosedSocket {
  const s = newClosedSocket();
  s.disconnected = disconnected;
  s.localPort = localPort;
  s.remotePort = remotePort;
  Object.assign(s.info, { bytesSent: 0, bytesRetrans: 0, bytesReceived: 0, segsOut: 0, segsIn: 0, totalRetrans: 0 }, info);
  return s;
}
