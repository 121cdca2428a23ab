import { describe, expect, it } from 'vitest';
import { EphemeralPortTracker, type PortRange, type TimeWaitReuseSysctls } from '../../../src/aggregate/ephemeralPorts.js';
import { formatAddress } from '../../../src/aggregate/formatAddress.js';
import { newSocketRecord } from '../../../src/model/socketRecord.js';
import { STATE_CODE, type TcpStateName } from '../../../src/model/tcpState.js';

interface S {
  state: TcpStateName;
  local: number;
  remote: string;
  port: number;
}

function v4(text: string): number[] {
  return text.split('.').map(Number);
}

/** The 16 bytes of an IPv6 address in the forms the tests use: "::N" and "::ffff:a.b.c.d". */
function v6(text: string): number[] {
  const b = new Array<number>(16).fill(0);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (mapped) {
    b[10] = 0xff;
    b[11] = 0xff;
    v4(mapped[1]!).forEach((x, i) => (b[12 + i] = x));
  } else {
    b[15] = Number(text.split(':').pop());
  }
  return b;
}

function feed(t: EphemeralPortTracker, sockets: readonly S[], server?: boolean): void {
  const r = newSocketRecord();
  for (const s of sockets) {
    r.state = STATE_CODE[s.state];
    r.localPort = s.local;
    r.remotePort = s.port;
    r.family = s.remote.includes(':') ? 'ipv6' : 'ipv4';
    r.remoteAddress.fill(0);
    if (r.family === 'ipv4') r.remoteAddress.set(v4(s.remote));
    else r.remoteAddress.set(v6(s.remote));
    t.add(r, server);
  }
}

const RANGE: PortRange = { low: 40000, high: 40099, reserved: [] };
const conns = (n: number, remote: string, port: number, first = 40000, state: TcpStateName = 'established'): S[] =>
  Array.from({ length: n }, (_, i) => ({ state, local: first + i, remote, port }));

/** What a DestinationPorts holds, as a test writes it: TIME_WAIT and other ports, reusable or not. */
function dest(remoteAddress: string, remotePort: number, otherPorts: number, timeWaitPorts = 0, timeWaitReusable = false, usable = 100) {
  const nonReusablePorts = otherPorts + (timeWaitReusable ? 0 : timeWaitPorts);
  return {
    family: remoteAddress.includes(':') ? 'ipv6' : 'ipv4',
    remoteAddress,
    remotePort,
    timeWaitPorts,
    otherPorts,
    timeWaitReusable,
    nonReusablePorts,
    usageRatio: nonReusablePorts / usable,
  };
}

const NO_REUSE: TimeWaitReuseSysctls = { twReuse: 0, timestamps: 1 };

describe('EphemeralPortTracker', () => {
  it('counts local ports per destination, TIME_WAIT apart, and ranks by the ports connect() cannot reuse', () => {
    const t = new EphemeralPortTracker(3);
    t.reset(RANGE, NO_REUSE);
    feed(t, [
      ...conns(30, '10.0.0.1', 443),
      ...conns(10, '10.0.0.1', 443, 40030, 'time_wait'),
      ...conns(20, '10.0.0.2', 443),
      ...conns(20, '10.0.0.1', 5432),
      ...conns(5, '10.0.0.3', 80),
      { state: 'established', local: 39999, remote: '10.0.0.9', port: 80 }, // below the range: not ephemeral
      { state: 'established', local: 40100, remote: '10.0.0.9', port: 80 }, // above it
    ]);
    const u = t.summarize()!;
    expect(u.top).toEqual([
      dest('10.0.0.1', 443, 30, 10),
      // 20 each: the tie goes to the lower address, then the lower port.
      dest('10.0.0.1', 5432, 20),
      dest('10.0.0.2', 443, 20),
    ]);
    expect(u.usablePorts).toBe(100);
    expect(u.worstDestinationRatio).toBe(0.4);
    expect(u.portsInUse).toBe(40);
    expect(u.destinations).toBe(4);
    expect(u.countError).toBe(0);
    expect(u.timeWaitReuse).toBe('none');
  });

  it('leaves out the accepted side of a listener in the range, and takes listeners and reserved ports off the usable range', () => {
    const t = new EphemeralPortTracker(5);
    t.reset({ low: 40000, high: 40099, reserved: [40090, 40091, 50000] });
    feed(t, [
      { state: 'listen', local: 40050, remote: '0.0.0.0', port: 0 },
      ...conns(8, '10.0.0.7', 40050, 40050).map((s) => ({ ...s, local: 40050, port: 50000 + s.local })), // accepted: local port is the listener's
      ...conns(3, '10.0.0.1', 443),
      { state: 'established', local: 40090, remote: '10.0.0.1', port: 80 }, // bound to a reserved port explicitly
    ]);
    const u = t.summarize()!;
    expect(u.top).toEqual([dest('10.0.0.1', 443, 3, 0, false, 97), dest('10.0.0.1', 80, 1, 0, false, 97)]);
    expect(u.usablePorts).toBe(100 - 2 - 1);
    expect(u.portsInUse).toBe(5);
    // The reserved port is held but was never usable: neither held nor taken off free twice.
    expect(u.held).toEqual({ exclusive: 3, shared: 0, timeWait: 0 });
    expect(u.freePorts).toBe(97 - 3);
  });

  it('sorts held ports into exclusive, shared and TIME_WAIT-only, and free is what is left', () => {
    const t = new EphemeralPortTracker(5);
    t.reset(RANGE, NO_REUSE);
    feed(t, [
      // 40000-40009: one connection each (bind() before connect(), or connect() alone).
      ...conns(10, '10.0.0.1', 443),
      // 40010-40014: shared by connections to two destinations, as connect() does.
      ...conns(5, '10.0.0.2', 443, 40010),
      ...conns(5, '10.0.0.3', 443, 40010),
      // 40015-40019: TIME_WAIT only, to two destinations on 40015-40016.
      ...conns(5, '10.0.0.4', 443, 40015, 'time_wait'),
      ...conns(2, '10.0.0.5', 443, 40015, 'time_wait'),
      // 40000-40002 also have a TIME_WAIT socket to another destination: still one live holder.
      ...conns(3, '10.0.0.6', 443, 40000, 'time_wait'),
      // FIN_WAIT2 orphans hold their port as any live socket does.
      ...conns(2, '10.0.0.7', 443, 40020, 'fin_wait2'),
    ]);
    const u = t.summarize()!;
    expect(u.held).toEqual({ exclusive: 12, shared: 5, timeWait: 5 });
    expect(u.freePorts).toBe(100 - 22);
    expect(u.portsInUse).toBe(22);
  });

  it('keeps a port shared however many sockets hold it (the holder count saturates, it never wraps)', () => {
    const t = new EphemeralPortTracker(5);
    t.reset(RANGE, NO_REUSE);
    // 40000 held towards 300 destinations: a byte per port counting holders would have wrapped.
    feed(t, Array.from({ length: 300 }, (_, i) => conns(1, `10.1.${i >> 8}.${i & 255}`, 443)).flat());
    feed(t, conns(1, '10.2.0.1', 443, 40001));
    const u = t.summarize()!;
    expect(u.held).toEqual({ exclusive: 1, shared: 1, timeWait: 0 });
    expect(u.destinations).toBe(301);
  });

  it('counts bind()-before-connect() exhaustion exclusively while every destination stays low', () => {
    // 100 ports, each held by one socket, spread over three destinations: no destination passes
    // 34 %, yet bind(0) and connect() have nothing left.
    const t = new EphemeralPortTracker(3);
    t.reset(RANGE, NO_REUSE);
    feed(t, [...conns(34, '10.0.0.1', 443), ...conns(33, '10.0.0.2', 443, 40034), ...conns(33, '10.0.0.3', 443, 40067)]);
    const u = t.summarize()!;
    expect(u.held).toEqual({ exclusive: 100, shared: 0, timeWait: 0 });
    expect(u.freePorts).toBe(0);
    expect(u.worstDestinationRatio).toBe(0.34);
  });

  describe('TIME_WAIT reuse (tcp_twsk_unique)', () => {
    const population: S[] = [
      ...conns(40, '10.0.0.1', 443, 40000, 'time_wait'),
      ...conns(5, '10.0.0.1', 443, 40040),
      ...conns(30, '127.0.0.1', 8080, 40045, 'time_wait'),
      ...conns(20, '::1', 8080, 40075, 'time_wait'),
      ...conns(2, '::ffff:127.0.0.9', 8080, 40095, 'time_wait'),
      ...conns(3, '::ffff:10.0.0.1', 8080, 40097, 'time_wait'),
    ];
    const cases: Array<[string, TimeWaitReuseSysctls, string, Record<string, boolean>]> = [
      ['tw_reuse=0', { twReuse: 0, timestamps: 1 }, 'none', {}],
      ['tw_reuse=1', { twReuse: 1, timestamps: 1 }, 'any', { '10.0.0.1': true, '127.0.0.1': true, '::1': true, '::ffff:127.0.0.9': true, '::ffff:10.0.0.1': true }],
      ['tw_reuse=2 (loopback)', { twReuse: 2, timestamps: 1 }, 'loopback', { '127.0.0.1': true, '::1': true, '::ffff:127.0.0.9': true }],
      ['tw_reuse=1, tcp_timestamps=0', { twReuse: 1, timestamps: 0 }, 'none', {}],
      ['tw_reuse=2, tcp_timestamps=2', { twReuse: 2, timestamps: 2 }, 'loopback', { '127.0.0.1': true, '::1': true, '::ffff:127.0.0.9': true }],
      ['sysctls unreadable', { twReuse: null, timestamps: null }, 'none', {}],
    ];
    it.each(cases)('%s', (_name, sysctls, rule, reusable) => {
      const t = new EphemeralPortTracker(10);
      t.reset(RANGE, sysctls);
      feed(t, population);
      const u = t.summarize()!;
      expect(u.timeWaitReuse).toBe(rule);
      const got = Object.fromEntries(u.top.map((d) => [d.remoteAddress, d]));
      for (const d of u.top) {
        expect(d.timeWaitReusable, d.remoteAddress).toBe(reusable[d.remoteAddress] ?? false);
        expect(d.nonReusablePorts).toBe(d.otherPorts + (d.timeWaitReusable ? 0 : d.timeWaitPorts));
        expect(d.usageRatio).toBe(d.nonReusablePorts / 100);
      }
      expect(got['10.0.0.1']).toMatchObject({ timeWaitPorts: 40, otherPorts: 5 });
      expect(got['::1']).toMatchObject({ family: 'ipv6', timeWaitPorts: 20, otherPorts: 0 });
      expect(u.worstDestinationRatio).toBe(Math.max(...u.top.map((d) => d.usageRatio)));
      // Ranked by what connect() cannot reuse, highest first.
      const ranked = u.top.map((d) => d.nonReusablePorts);
      expect(ranked).toEqual([...ranked].sort((a, b) => b - a));
      // Held ports do not depend on the rule: TIME_WAIT holds its port until reused.
      expect(u.held).toEqual({ exclusive: 5, shared: 0, timeWait: 95 });
    });
  });

  it('tells the families apart', () => {
    const t = new EphemeralPortTracker(5);
    t.reset(RANGE);
    feed(t, [...conns(2, '0.0.0.1', 443), ...conns(3, '::1', 443, 40010)]);
    expect(t.summarize()!.top.map((d) => [d.family, d.remoteAddress, d.otherPorts])).toEqual([
      ['ipv6', '::1', 3],
      ['ipv4', '0.0.0.1', 2],
    ]);
  });

  it('starts each cycle from nothing, and has no usage without a range', () => {
    const t = new EphemeralPortTracker(5);
    t.reset(RANGE);
    feed(t, [...conns(50, '10.0.0.1', 443), ...conns(20, '10.0.0.1', 443, 40050, 'time_wait')]);
    t.reset(RANGE);
    feed(t, conns(5, '10.0.0.2', 443));
    expect(t.summarize()!.top).toEqual([dest('10.0.0.2', 443, 5)]);
    expect(t.summarize()!.portsInUse).toBe(5);
    expect(t.summarize()!.held).toEqual({ exclusive: 5, shared: 0, timeWait: 0 });
    t.reset(null);
    feed(t, conns(5, '10.0.0.2', 443));
    expect(t.summarize()).toBeNull();
  });

  it('keeps the heavy hitter past its table capacity and bounds how far its counts can be short', () => {
    // Capacity 8 against 1,000 one-connection destinations interleaved with one busy destination
    // (half of whose connections are in TIME_WAIT).
    const t = new EphemeralPortTracker(1, 8);
    t.reset({ low: 1024, high: 65535, reserved: [] }, NO_REUSE);
    const sockets: S[] = [];
    let local = 1024;
    for (let i = 0; i < 1000; i++) {
      sockets.push({ state: 'established', local: local++, remote: `10.1.${i >> 8}.${i & 255}`, port: 80 });
      if (i % 4 === 0) sockets.push({ state: i % 8 === 0 ? 'time_wait' : 'established', local: local++, remote: '192.0.2.1', port: 443 });
    }
    feed(t, sockets);
    const u = t.summarize()!;
    const busiest = u.top[0]!;
    expect(busiest.remoteAddress).toBe('192.0.2.1');
    expect(u.countError).toBeGreaterThan(0);
    // Misra-Gries: true count - error <= reported <= true count, and error <= N / (capacity + 1),
    // for the total and for each of its parts.
    expect(busiest.otherPorts + busiest.timeWaitPorts).toBeLessThanOrEqual(250);
    expect(busiest.otherPorts + busiest.timeWaitPorts + u.countError).toBeGreaterThanOrEqual(250);
    for (const part of [busiest.otherPorts, busiest.timeWaitPorts]) {
      expect(part).toBeLessThanOrEqual(125);
      expect(part + u.countError).toBeGreaterThanOrEqual(125);
    }
    expect(u.countError).toBeLessThanOrEqual(Math.floor(sockets.length / 9));
    // Per-port counts are exact whatever the table drops: every port has one holder.
    expect(u.held).toEqual({ exclusive: 1000 + 125, shared: 0, timeWait: 125 });
  });
});

describe('EphemeralPortTracker and socket roles', () => {
  it('takes a port whose sockets the aggregator counts as server (a listener since closed) as a service port, not held', () => {
    const t = new EphemeralPortTracker(5);
    t.reset(RANGE, NO_REUSE);
    // A listener on 40050 (bind(0)) accepted three connections and was closed: their local port is 40050.
    feed(t, conns(3, '10.0.0.9', 51000).map((c, i) => ({ ...c, local: 40050, port: 51000 + i })), true);
    feed(t, conns(2, '10.0.0.1', 443), false);
    const u = t.summarize()!;
    expect(u.usablePorts).toBe(99);
    expect(u.held).toEqual({ exclusive: 2, shared: 0, timeWait: 0 });
    expect(u.top).toEqual([dest('10.0.0.1', 443, 2, 0, false, 99)]);
  });
});

describe('EphemeralPortTracker destination series', () => {
  /** One cycle: the usage, with its series as [rank, remote port, other ports]. */
  const usage = (t: EphemeralPortTracker, per: Record<number, number>) => {
    t.reset(RANGE, NO_REUSE);
    let first = 40000;
    for (const [port, n] of Object.entries(per)) {
      feed(t, conns(n, '10.0.0.1', Number(port), first));
      first += n;
    }
    const u = t.summarize()!;
    return { ...u, named: u.series.map((d) => [d.rank, d.remotePort, d.otherPorts]) };
  };
  const cycle = (t: EphemeralPortTracker, per: Record<number, number>) => usage(t, per).named;

  it('gives ranks in order at the first cycle, then keeps each destination in its rank slot', () => {
    const t = new EphemeralPortTracker(2, undefined, { admitCycles: 2, keepCycles: 3 });
    expect(cycle(t, { 443: 5, 80: 3, 22: 1 })).toEqual([[1, 443, 5], [2, 80, 3]]);
    // 80 overtakes 443: no swap of ranks, so no new series.
    expect(cycle(t, { 443: 3, 80: 5, 22: 1 })).toEqual([[1, 443, 3], [2, 80, 5]]);
  });

  it('keeps a destination that is gone, at zero, for keepCycles, then gives its slot to a newcomer', () => {
    const t = new EphemeralPortTracker(2, undefined, { admitCycles: 2, keepCycles: 2 });
    cycle(t, { 443: 5, 80: 3 });
    expect(cycle(t, { 443: 5, 5432: 2 })).toEqual([[1, 443, 5], [2, 80, 0]]);
    expect(cycle(t, { 443: 5, 5432: 2 })).toEqual([[1, 443, 5], [2, 80, 0]]);
    expect(cycle(t, { 443: 5, 5432: 2 })).toEqual([[1, 443, 5], [2, 5432, 2]]);
  });

  it('lets a new heavy hitter take the slot of a quieter destination once that one held it keepCycles', () => {
    const t = new EphemeralPortTracker(2, undefined, { admitCycles: 1, keepCycles: 3 });
    cycle(t, { 443: 5, 80: 4 });
    for (let i = 0; i < 2; i++) expect(cycle(t, { 443: 5, 80: 4, 22: 40 })).toEqual([[1, 443, 5], [2, 80, 4]]);
    expect(cycle(t, { 443: 5, 80: 4, 22: 40 })).toEqual([[1, 443, 5], [2, 22, 40]]);
  });

  it('names a destination running out of the usable ports within admitCycles, and serves the exact worst ratio meanwhile', () => {
    const t = new EphemeralPortTracker(1, undefined, { admitCycles: 3, keepCycles: 40 });
    cycle(t, { 443: 10 });
    const worst: number[] = [];
    const named: number[] = [];
    for (let i = 0; i < 4; i++) {
      // 60 of the 100 usable ports: 40 left, at most half of the 90 the holder left.
      const u = usage(t, { 443: 10, 22: 60 });
      named.push(u.named[0]![1]!);
      worst.push(u.worstDestinationRatio);
    }
    expect(named).toEqual([443, 443, 22, 22]);
    expect(worst).toEqual([0.6, 0.6, 0.6, 0.6]);
  });

  it('serves the exact worst ratio while the worst destination, busier but not running out, waits keepCycles for a slot', () => {
    const t = new EphemeralPortTracker(1, undefined, { admitCycles: 1, keepCycles: 40 });
    cycle(t, { 443: 10 });
    for (let i = 0; i < 39; i++) {
      const u = usage(t, { 443: 10, 22: 30 });
      expect(u.named).toEqual([[1, 443, 10]]);
      expect(u.worstDestinationRatio).toBe(0.3);
    }
    // Three times the holder, first for keepCycles cycles: busier for good.
    expect(cycle(t, { 443: 10, 22: 30 })).toEqual([[1, 22, 30]]);
  });

  it('does not trade places between destinations of similar counts', () => {
    const t = new EphemeralPortTracker(2, undefined, { admitCycles: 1, keepCycles: 10 });
    cycle(t, { 443: 5, 80: 3, 22: 1 });
    for (let i = 0; i < 20; i++) {
      const r = cycle(t, i % 2 ? { 443: 5, 80: 3, 22: 9 } : { 443: 3, 80: 5, 22: 9 });
      expect(r.map(([rank, port]) => [rank, port])).toEqual([[1, 443], [2, 80]]);
    }
  });

  it('never admits a destination that comes and goes faster than admitCycles', () => {
    const t = new EphemeralPortTracker(3, undefined, { admitCycles: 2, keepCycles: 10 });
    cycle(t, { 443: 5 });
    const seen = new Set<number>();
    for (let i = 0; i < 20; i++) for (const [, port] of cycle(t, { 443: 5, [1000 + i]: 20 })) seen.add(port!);
    expect([...seen]).toEqual([443]);
  });

  it('with no hysteresis ranks the K busiest of each cycle in order', () => {
    const t = new EphemeralPortTracker(2, undefined, { admitCycles: 0, keepCycles: 0 });
    cycle(t, { 443: 5, 80: 3 });
    expect(cycle(t, { 443: 3, 80: 5 })).toEqual([[1, 80, 5], [2, 443, 3]]);
  });
});

describe('formatAddress', () => {
  const bytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex.padEnd(32, '0'), 'hex'));
  it.each([
    ['ipv4', 'c0000201', '192.0.2.1'],
    ['ipv6', '00000000000000000000000000000001', '::1'],
    ['ipv6', '00000000000000000000000000000000', '::'],
    ['ipv6', '20010db8000000000000000000000007', '2001:db8::7'],
    ['ipv6', '20010db8000000010000000000000001', '2001:db8:0:1::1'],
    // The longest zero run is shortened; on a tie, the first.
    ['ipv6', '20010db8000000000001000000000001', '2001:db8::1:0:0:1'],
    // A single zero group is never "::".
    ['ipv6', '20010db8000100000001000100010001', '2001:db8:1:0:1:1:1:1'],
    ['ipv6', '00000000000000000000ffffc0000201', '::ffff:192.0.2.1'],
    ['ipv6', 'fe80000000000000abcd00ff00000001', 'fe80::abcd:ff:0:1'],
  ] as const)('%s %s is %s', (family, hex, text) => {
    expect(formatAddress(family, bytes(hex))).toBe(text);
  });
});
