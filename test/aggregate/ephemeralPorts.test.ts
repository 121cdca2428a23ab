import { describe, expect, it } from 'vitest';
import { EphemeralPortTracker, type PortRange } from '../../src/aggregate/ephemeralPorts.js';
import { formatAddress } from '../../src/aggregate/formatAddress.js';
import { newSocketRecord } from '../../src/model/socketRecord.js';
import { STATE_INDEX, type TcpStateName } from '../../src/model/tcpState.js';

interface S {
  state: TcpStateName;
  local: number;
  remote: string;
  port: number;
}

function v4(text: string): number[] {
  return text.split('.').map(Number);
}

function feed(t: EphemeralPortTracker, sockets: readonly S[]): void {
  const r = newSocketRecord();
  for (const s of sockets) {
    r.state = STATE_INDEX[s.state];
    r.localPort = s.local;
    r.remotePort = s.port;
    r.family = s.remote.includes(':') ? 'ipv6' : 'ipv4';
    r.remoteAddress.fill(0);
    if (r.family === 'ipv4') r.remoteAddress.set(v4(s.remote));
    else r.remoteAddress[15] = Number(s.remote.split(':').pop());
    t.add(r);
  }
}

const RANGE: PortRange = { low: 40000, high: 40099, reserved: [] };
const conns = (n: number, remote: string, port: number, first = 40000, state: TcpStateName = 'established'): S[] =>
  Array.from({ length: n }, (_, i) => ({ state, local: first + i, remote, port }));

describe('EphemeralPortTracker', () => {
  it('counts local ports per destination, TIME_WAIT included, and ranks the busiest first', () => {
    const t = new EphemeralPortTracker(3);
    t.reset(RANGE);
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
      { family: 'ipv4', remoteAddress: '10.0.0.1', remotePort: 443, ports: 40 },
      // 20 each: the tie goes to the lower address, then the lower port.
      { family: 'ipv4', remoteAddress: '10.0.0.1', remotePort: 5432, ports: 20 },
      { family: 'ipv4', remoteAddress: '10.0.0.2', remotePort: 443, ports: 20 },
    ]);
    expect(u.usablePorts).toBe(100);
    expect(u.worstDestinationRatio).toBe(0.4);
    expect(u.portsInUse).toBe(40);
    expect(u.destinations).toBe(4);
    expect(u.countError).toBe(0);
  });

  it('leaves out the accepted side of a listener in the range, and takes listeners and reserved ports off the usable range', () => {
    const t = new EphemeralPortTracker(5);
    t.reset({ low: 40000, high: 40099, reserved: [40090, 40091, 50000] });
    feed(t, [
      { state: 'listen', local: 40050, remote: '0.0.0.0', port: 0 },
      ...conns(8, '10.0.0.7', 40050, 40050).map((s) => ({ ...s, local: 40050, port: 50000 + s.local })), // accepted: local port is the listener's
      ...conns(3, '10.0.0.1', 443),
    ]);
    const u = t.summarize()!;
    expect(u.top).toEqual([{ family: 'ipv4', remoteAddress: '10.0.0.1', remotePort: 443, ports: 3 }]);
    expect(u.usablePorts).toBe(100 - 2 - 1);
    expect(u.portsInUse).toBe(4);
  });

  it('tells the families apart', () => {
    const t = new EphemeralPortTracker(5);
    t.reset(RANGE);
    feed(t, [...conns(2, '0.0.0.1', 443), ...conns(3, '::1', 443, 40010)]);
    expect(t.summarize()!.top.map((d) => [d.family, d.remoteAddress, d.ports])).toEqual([
      ['ipv6', '::1', 3],
      ['ipv4', '0.0.0.1', 2],
    ]);
  });

  it('starts each cycle from nothing, and has no usage without a range', () => {
    const t = new EphemeralPortTracker(5);
    t.reset(RANGE);
    feed(t, conns(50, '10.0.0.1', 443));
    t.reset(RANGE);
    feed(t, conns(5, '10.0.0.2', 443));
    expect(t.summarize()!.top).toEqual([{ family: 'ipv4', remoteAddress: '10.0.0.2', remotePort: 443, ports: 5 }]);
    expect(t.summarize()!.portsInUse).toBe(5);
    t.reset(null);
    feed(t, conns(5, '10.0.0.2', 443));
    expect(t.summarize()).toBeNull();
  });

  it('keeps the heavy hitter past its table capacity and bounds how far its count can be short', () => {
    // Capacity 8 against 1,000 one-connection destinations interleaved with one busy destination.
    const t = new EphemeralPortTracker(1, 8);
    t.reset({ low: 1024, high: 65535, reserved: [] });
    const sockets: S[] = [];
    let local = 1024;
    for (let i = 0; i < 1000; i++) {
      sockets.push({ state: 'established', local: local++, remote: `10.1.${i >> 8}.${i & 255}`, port: 80 });
      if (i % 4 === 0) sockets.push({ state: 'established', local: local++, remote: '192.0.2.1', port: 443 });
    }
    feed(t, sockets);
    const u = t.summarize()!;
    const busiest = u.top[0]!;
    expect(busiest.remoteAddress).toBe('192.0.2.1');
    expect(u.countError).toBeGreaterThan(0);
    // Misra-Gries: true count - error <= reported <= true count, and error <= N / (capacity + 1).
    expect(busiest.ports).toBeLessThanOrEqual(250);
    expect(busiest.ports + u.countError).toBeGreaterThanOrEqual(250);
    expect(u.countError).toBeLessThanOrEqual(Math.floor(sockets.length / 9));
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
