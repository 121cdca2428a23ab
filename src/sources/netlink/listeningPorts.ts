import { AF_INET, AF_INET6, buildInetDiagDumpRequest, DIAG, TCPF_LISTEN } from '../../parse/inetDiag.js';
import { dumpSockDiag } from './dump.js';
import { openSockDiag, type NetlinkSocket } from './libcNetlink.js';

/**
 * The local ports of every listening TCP socket of this network namespace, both families, from
 * sock_diag dumps restricted to LISTEN (the kernel walks only the listening hash: microseconds
 * even with a million connections). Each port once, in no particular order.
 */
export async function queryListeningPorts(open: () => Promise<NetlinkSocket> = openSockDiag): Promise<number[]> {
  const ports = new Set<number>();
  const sock = await open();
  try {
    for (const family of [AF_INET, AF_INET6]) {
      await dumpSockDiag(sock, buildInetDiagDumpRequest(family, TCPF_LISTEN, family), family === AF_INET6, (buf, off) => {
        ports.add(buf.readUInt16BE(off + DIAG.sport));
      });
    }
  } finally {
    sock.close();
  }
  return [...ports];
}
