import { constants } from 'node:os';
import { describe, expect, it } from 'vitest';
import { errnoText } from '../../../src/model/errno.js';
import { buildInetDiagDumpRequest, TCPF_ALL } from '../../../src/parse/inetDiag.js';
import { dumpSockDiag } from '../../../src/sources/netlink/dump.js';
import { openSockDiag, openSockDiagIn } from '../../../src/sources/netlink/libcNetlink.js';

const { errno } = constants;

describe('errnoText', () => {
  const cases: Array<{ name: string; input: number; want: string }> = [
    { name: 'a libc errno', input: errno.EPROTONOSUPPORT, want: 'EPROTONOSUPPORT: Protocol not supported' },
    { name: 'a netlink NLMSG_ERROR value (negated)', input: -errno.EPERM, want: 'EPERM: Operation not permitted' },
    { name: 'what SO_RCVTIMEO leaves (EAGAIN, not its alias EWOULDBLOCK)', input: errno.EAGAIN, want: 'EAGAIN: Resource temporarily unavailable' },
    { name: 'IPv6 disabled', input: -errno.EAFNOSUPPORT, want: 'EAFNOSUPPORT: Address family not supported' },
    { name: 'a name without a message in libuv', input: errno.ESTALE, want: 'ESTALE' },
    { name: 'an unknown number', input: 4242, want: 'errno 4242' },
  ];
  for (const c of cases) it(c.name, () => expect(errnoText(c.input)).toBe(c.want));
});

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
