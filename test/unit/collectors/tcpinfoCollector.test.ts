import { describe, expect, it } from 'vitest';
import { DEFAULT_COLLECTORS, fixturePoller } from '../../helpers/collect.js';
import { fixture } from '../../helpers/paths.js';

describe('tcpinfo collector', () => {
  it('fails with the reason when the cycle\'s walk carried no tcp_info (procfs), the other collectors unharmed', async () => {
    const s = await fixturePoller(fixture('proc'), undefined, undefined, { enabled: new Set([...DEFAULT_COLLECTORS, 'tcpinfo']) }).collectOnce();
    expect(s.status.tcpinfo).toMatchObject({ success: false, error: "tcp_info comes from sock_diag netlink, and this cycle's socket source was procfs" });
    expect(s.status.sockets?.success).toBe(true);
    expect(s.data.tcpinfo).toBeUndefined();
  });

  it('fails when the sockets collector is off', async () => {
    const s = await fixturePoller(fixture('proc'), undefined, undefined, { enabled: new Set(['tcpinfo', 'snmp']) }).collectOnce();
    expect(s.status.tcpinfo).toMatchObject({ success: false, error: 'needs the sockets collector: tcp_info comes with its walk, and it has no result this cycle (collector not enabled)' });
  });
});
