import { AF_INET, AF_INET6, buildInetDiagDumpRequest, DIAG, TCPF_LISTEN } from '../../parse/inetDiag.js';
import { dumpSockDiag } from './dump.js';
import { openSockDiag, type NetlinkSocket } from './libcNetlink.js';

/**
 * The configured backlog of every listening socket, by socket inode, from a sock_diag dump
 * restricted to LISTEN (the kernel then walks only the listening hash: microseconds even with
 * a million connections). /proc/net/tcp carries the accept-queue length but not the backlog.
 */
export async function queryListenerBacklogs(open: () => Promise<NetlinkSocket> = openSockDiag): Promise<Map<number, number>> {
  const backlogs = new Map<number, number>();
  const sock = await open();
  try {
    for (const family of [AF_INET, AF_INET6]) {
      await dumpSockDiag(sock, buildInetDiagDumpRequest(family, TCPF_LISTEN, family), family === AF_INET6, (buf, off) => {
        backlogs.set(buf.readUInt32LE(off + DIAG.inode), buf.readUInt32LE(off + DIAG.wqueue));
      });
    }
  } finally {
    sock.close();
  }
  return backlogs;
}
