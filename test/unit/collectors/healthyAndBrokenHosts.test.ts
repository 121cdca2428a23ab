import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { STATE_CODE, zeroStates } from '../../../src/model/tcpState.js';
import { collectFixture, fixturePoller } from '../../helpers/collect.js';
import { fixture } from '../../helpers/paths.js';

describe('collectors on the healthy fixture tree', async () => {
  const s = await collectFixture(fixture('proc'));

  it('every collector succeeds', () => {
    expect(Object.fromEntries(Object.entries(s.status).map(([k, v]) => [k, v.success]))).toEqual({
      sockets: true, sysctl: true, snmp: true, netstat: true, sockstat: true,
    });
  });

  it('counts sockets per family and state', () => {
    const { ipv4, ipv6 } = s.data.sockets!.summary.byFamily;
    expect(ipv4[STATE_CODE.listen]).toBe(3);
    expect(ipv4[STATE_CODE.established]).toBe(6);
    expect(ipv4[STATE_CODE.time_wait]).toBe(2);
    expect(ipv4.reduce((a, b) => a + b)).toBe(19);
    expect(ipv6[STATE_CODE.listen]).toBe(1);
    expect(ipv6[STATE_CODE.established]).toBe(3);
    expect(ipv6[STATE_CODE.time_wait]).toBe(1);
  });

  it('reads every sysctl under its kernel name, in the kernel\'s units', () => {
    expect(s.data.sysctl!.values).toMatchObject({
      tcp_keepalive_time: [7200], tcp_keepalive_intvl: [75], tcp_keepalive_probes: [9],
      ip_local_port_range: [32768, 60999], somaxconn: [4096], tcp_tw_reuse: [2], tcp_timestamps: [1],
      // tcp_mem is in pages; no auxv in the fixture, 4096-byte pages assumed.
      tcp_mem: [88413, 117885, 176826],
    });
    expect(s.data.sysctl!.pageSizeBytes).toBe(4096);
    expect(s.data.sysctl!.missing).toEqual([]);
  });

  it('reads Tcp and TcpExt counters and sockstat under the kernel\'s keys', () => {
    expect(s.data.snmp).toMatchObject({ ActiveOpens: expect.any(Number), RetransSegs: expect.any(Number), MaxConn: -1 });
    expect(s.data.netstat).toMatchObject({ ListenOverflows: expect.any(Number), TCPMemoryPressures: 0, TCPMemoryPressuresChrono: 0 });
    // No auxv in the fixture: 4096-byte pages assumed.
    expect(s.data.sockstat).toEqual({ TCP: { inuse: 17, orphan: 2, tw: 3, alloc: 21, mem: 5 }, TCP6: { inuse: 4 }, pageSizeBytes: 4096 });
  });

  it('counts the ephemeral ports the client sockets hold, per destination and per port', () => {
    // Client sockets of make-socket-tables.py with local ports in 32768-60999; tw_reuse=2 with
    // timestamps: only the loopback destinations' TIME_WAIT could be reused, and they have none.
    expect(s.data.sockets!.ephemeral).toMatchObject({
      range: { low: 32768, high: 60999 },
      usablePorts: 28232,
      portsInUse: 13,
      held: { exclusive: 10, shared: 0, timeWait: 3 },
      freePorts: 28232 - 13,
      destinations: 7,
      worstDestinationRatio: 3 / 28232,
      timeWaitReuse: 'loopback',
      top: [
        { family: 'ipv4', remoteAddress: '198.51.100.7', remotePort: 443, timeWaitPorts: 2, otherPorts: 1, timeWaitReusable: false, nonReusablePorts: 3, usageRatio: 3 / 28232 },
        { family: 'ipv4', remoteAddress: '198.51.100.7', remotePort: 6379, timeWaitPorts: 0, otherPorts: 3, timeWaitReusable: false, nonReusablePorts: 3, usageRatio: 3 / 28232 },
        { family: 'ipv4', remoteAddress: '127.0.0.1', remotePort: 8080, timeWaitPorts: 0, otherPorts: 2, timeWaitReusable: true, nonReusablePorts: 2, usageRatio: 2 / 28232 },
        { family: 'ipv4', remoteAddress: '198.51.100.7', remotePort: 5432, timeWaitPorts: 0, otherPorts: 2, timeWaitReusable: false, nonReusablePorts: 2, usageRatio: 2 / 28232 },
        { family: 'ipv4', remoteAddress: '198.51.100.7', remotePort: 80, timeWaitPorts: 0, otherPorts: 1, timeWaitReusable: false, nonReusablePorts: 1, usageRatio: 1 / 28232 },
      ],
      countError: 0,
    });
    // The first cycle gives the rank slots in rank order.
    const ephemeral = s.data.sockets!.ephemeral!;
    expect(ephemeral.series).toEqual(ephemeral.top.map((d, i) => ({ rank: i + 1, ...d })));
  });
});

describe('collectors on the broken fixture tree', async () => {
  const logged: string[] = [];
  const log = pino({ level: 'debug' }, new Writable({ write(chunk, _enc, cb) { logged.push(String(chunk)); cb(); } }));
  const poller = fixturePoller(fixture('proc-broken'), undefined, log);
  const s = await poller.collectOnce();

  it('keeps the parseable sockets, counts the rest, and treats missing tcp6 as normal', () => {
    expect(s.status.sockets!.success).toBe(true);
    const tables = s.data.sockets!.tables;
    expect(tables).toEqual([
      expect.objectContaining({ table: 'net/tcp', sockets: 3, malformed: 6, present: true }),
      { table: 'net/tcp6', sockets: 0, malformed: 0, present: false },
    ]);
    expect(logged.join('')).toMatch(/skipped malformed socket lines/);
  });

  it('fails the collectors whose files are broken, with the offending text', () => {
    expect(s.status.snmp).toMatchObject({ success: false, error: expect.stringMatching(/3 names but 2 values/) });
    expect(s.status.sockstat).toMatchObject({ success: false, error: expect.stringMatching(/key without a value/) });
    expect(s.status.sysctl).toMatchObject({ success: false, error: expect.stringMatching(/tcp_keepalive_intvl.*seventy/) });
    expect(s.data.snmp).toBeUndefined();
  });

  it('reports the TcpExt fields an older kernel has and leaves the others out', () => {
    expect(s.status.netstat!.success).toBe(true);
    expect(s.data.netstat).toEqual({ SyncookiesSent: 1, ListenOverflows: 7, ListenDrops: 9 });
  });

  it('logs the first failure of a collector at error level and repeats at debug', async () => {
    const errorsBefore = logged.filter((l) => l.includes('"level":50') && l.includes('"collector":"snmp"')).length;
    await poller.collectOnce();
    const errorsAfter = logged.filter((l) => l.includes('"level":50') && l.includes('"collector":"snmp"')).length;
    expect(errorsBefore).toBe(1);
    expect(errorsAfter).toBe(1);
  });
});

describe('collectors on the header-only tree', async () => {
  const s = await collectFixture(fixture('proc-header-only'));
  it('reports zero sockets in every state and fails only the collectors without files', () => {
    expect(s.status.sockets!.success).toBe(true);
    expect(s.data.sockets!.summary.byFamily.ipv4.every((n) => n === 0)).toBe(true);
    expect(s.data.sockets!.summary.serverPorts).toEqual([
      { port: 'other', states: zeroStates() },
      { port: 'ephemeral', states: zeroStates() },
    ]);
    for (const name of ['sysctl', 'snmp', 'netstat', 'sockstat'] as const) expect(s.status[name]!.success).toBe(false);
    expect(s.status.snmp!.error).toMatch(/ENOENT/);
  });
});

describe('a procfs root that does not exist', async () => {
  const s = await collectFixture('/nonexistent/procfs');
  it('fails every collector without throwing', () => {
    expect(Object.values(s.status).every((st) => !st.success)).toBe(true);
    expect(s.status.sockets!.error).toMatch(/ENOENT.*net\/tcp/);
  });
});

describe('snapshots', async () => {
  const poller = fixturePoller(fixture('proc'));
  const [a, b] = await Promise.all([poller.collectOnce(), poller.collectOnce()]);
  it('concurrent requests join one collection instead of overlapping', () => {
    expect(a).toBe(b);
    expect(a.sequence).toBe(1);
  });
  it('are frozen all the way down', async () => {
    const s = await poller.collectOnce();
    expect(s.sequence).toBe(2);
    expect(Object.isFrozen(s.data.sockets!.summary.byFamily.ipv4)).toBe(true);
    expect(() => {
      (s.data.sockets!.summary.byFamily.ipv4 as number[])[0] = 99;
    }).toThrow();
  });
});
