import { AF_INET, AF_INET6, buildInetDiagDumpRequest, newInetDiagFields, parseInetDiagBatch, TCPF_LISTEN } from '../../parse/inetDiag.js';
import { openSockDiag, type NetlinkSocket } from './libcNetlink.js';

const RECV_BUFFER = 64 * 1024;

/**
 * The configured backlog of every listening socket, by socket inode, from a sock_diag dump
 * restricted to LISTEN (the kernel then walks only the listening hash: microseconds even with
 * a million connections). /proc/net/tcp carries the accept-queue length but not the backlog.
 */
export async function queryListenerBacklogs(open: () => Promise<NetlinkSocket> = openSockDiag): Promise<Map<number, number>> {
  const backlogs = new Map<number, number>();
  const sock = await open();
  try {
    const buf = Buffer.allocUnsafe(RECV_BUFFER);
    const fields = newInetDiagFields();
    let seq = 1;
    for (const family of [AF_INET, AF_INET6]) {
      sock.send(buildInetDiagDumpRequest(family, TCPF_LISTEN, seq++));
      for (;;) {
        const n = sock.recv(buf);
        const r = parseInetDiagBatch(buf, n, fields, (f) => backlogs.set(f.inode, f.wqueue));
        if (r.kind === 'done') break;
        // EAFNOSUPPORT (97) for AF_INET6 means IPv6 is disabled: nothing to list there.
        if (r.kind === 'error') {
          if (family === AF_INET6 && r.errno === 97) break;
          throw new Error(r.text);
        }
        if (n === 0) throw new Error('netlink dump ended without NLMSG_DONE');
      }
    }
  } finally {
    sock.close();
  }
  return backlogs;
}
