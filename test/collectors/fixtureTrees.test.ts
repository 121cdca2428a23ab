import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { STATE_INDEX } from '../../src/model/tcpState.js';
import { collectFixture, fixturePoller } from '../helpers/collect.js';
import { fixture } from '../helpers/paths.js';

describe('collectors on the healthy fixture tree', async () => {
  const s = await collectFixture(fixture('proc'));

  it('every collector succeeds', () => {
    expect(Object.fromEntries(Object.entries(s.status).map(([k, v]) => [k, v.success]))).toEqual({
      sockets: true, sysctl: true, snmp: true, netstat: true, sockstat: true,
    });
  });

  it('counts sockets per family and state', () => {
    const { ipv4, ipv6 } = s.data.sockets!.summary.byFamily;
    expect(ipv4[STATE_INDEX.listen]).toBe(3);
    expect(ipv4[STATE_INDEX.established]).toBe(6);
    expect(ipv4[STATE_INDEX.time_wait]).toBe(2);
    expect(ipv4.reduce((a, b) => a + b)).toBe(19);
    expect(ipv6[STATE_INDEX.listen]).toBe(1);
    expect(ipv6[STATE_INDEX.established]).toBe(3);
    expect(ipv6[STATE_INDEX.time_wait]).toBe(1);
  });

  it('reads every sysctl in base units and derives dead-peer detection', () => {
    expect(s.data.sysctl!.values).toMatchObject({
      keepalive_time_seconds: 7200, keepalive_interval_seconds: 75, keepalive_probes: 9,
      local_port_range_min: 32768, local_port_range_max: 60999, somaxconn: 4096, tw_reuse: 2,
    });
    expect(s.data.sysctl!.missing).toEqual([]);
  });

  it('reads TCP and TcpExt counters and sockstat in bytes', () => {
    expect(Object.keys(s.data.snmp!)).toContain('tcp_retransmitted_segments_total');
    expect(Object.keys(s.data.netstat!)).toContain('tcpext_listen_overflows_total');
    // No auxv in the fixture: 4096-byte pages assumed.
    expect(s.data.sockstat).toEqual({ ipv4: { inuse: 17, orphan: 2, timeWait: 3, alloc: 21, memoryBytes: 5 * 4096 }, ipv6: { inuse: 4 } });
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
    expect(s.data.netstat).toEqual({ tcpext_syncookies_sent_total: 1, tcpext_listen_overflows_total: 7, tcpext_listen_drops_total: 9 });
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
    expect(s.data.sockets!.summary.serverPorts).toEqual([{ port: 'other', states: new Array(11).fill(0) }]);
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
