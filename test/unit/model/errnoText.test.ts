import { constants } from 'node:os';
import { describe, expect, it } from 'vitest';
import { errnoText } from '../../../src/model/errno.js';

const { errno } = constants;

/** An errno as the netlink errors and logs name it: symbol and message, for either sign. */
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
