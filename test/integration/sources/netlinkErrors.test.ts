import { describe, expect, it } from 'vitest';
import { buildInetDiagDumpRequest, TCPF_ALL } from '../../../src/parse/inetDiag.js';
import { dumpSockDiag } from '../../../src/sources/netlink/dump.js';
import { openSockDiag, openSockDiagIn } from '../../../src/sources/netlink/libcNetlink.js';

/** What the kernel's refusals read as (the errno table itself: test/unit/model/errnoText.test.ts). */
describe.runIf(process.platform === 'linux')('netlink errors from calls the kernel refuses', () => {
  it('setns with a file that is not a network namespace: EINVAL, named', async () => {
    await expect(openSockDiagIn('/proc/self/ns/uts')).rejects.toThrow('netlink setns failed: EINVAL: Invalid argument');
  });

  it('a sock_diag dump for an address family past AF_MAX: the kernel answers NLMSG_ERROR EINVAL, named', async () => {
    const sock = await openSockDiag();
    try {
      await expect(dumpSockDiag(sock, buildInetDiagDumpRequest(99, TCPF_ALL, 1), false, () => undefined)).rejects.toThrow('netlink error EINVAL: Invalid argument');
    } finally {
      sock.close();
    }
  });
});
