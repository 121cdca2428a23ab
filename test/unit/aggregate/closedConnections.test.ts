import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClosedConnectionCounters, type ClosedConnectionsSummary, type PortClosedConnections } from '../../../src/aggregate/closedConnections.js';
import { NO_SERIES_HYSTERESIS } from '../../../src/aggregate/portSeries.js';
import { closedSocket as closed } from '../../helpers/closedSockets.js';

const byPort = (ports: readonly PortClosedConnections[]): Record<string, PortClosedConnections> => Object.fromEntries(ports.map((p) => [p.port, p]));
const sumClosed = (s: ClosedConnectionsSummary): number => [...s.serverPorts, ...s.clientPorts].reduce((a, p) => a + p.closed, 0);

/**
 * Checks one role's series of a summary against the last one's (`last`, role/port → closed,
 * updated here): a series that stayed never goes down; one that appears after the first summary
 * starts at 0, so no count lives only in a first sample, which Prometheus's rate() and increase()
 * never count. A series that disappeared and came back is a new series, held to the same rule.
 */
function expectSeriesGrowFromZero(role: string, list: readonly PortClosedConnections[], last: Map<string, number>, afterFirst: boolean): void {
  for (const p of list) {
    const key = `${role}/${p.port}`;
    if (last.has(key)) expect(p.closed).toBeGreaterThanOrEqual(last.get(key)!);
    else if (afterFirst) expect([key, p.bytesSent, p.closed]).toEqual([key, 0, 0]);
  }
  for (const key of [...last.keys()].filter((k) => k.startsWith(`${role}/`) && !list.some((p) => `${role}/${p.port}` === k))) last.delete(key);
  for (const p of list) last.set(`${role}/${p.port}`, p.closed);
}

describe('ClosedConnectionCounters', () => {
  it('applies the role rule of tcpstate_port_sockets: a listener on the local port makes a server socket, else a client one by remote port', () => {
    // Pinned: named from the start, so their series count every connection (a port named later starts at 0).
    const c = new ClosedConnectionCounters({ maxServerPorts: 10, topClientPorts: 10, pinnedPorts: [7000, 443], ephemeralPorts: 'number' }, NO_SERIES_HYSTERESIS);
    c.startCycle(null, [7000]);
    c.add(closed(7000, 41000)); // accepted side
    c.add(closed(41000, 7000)); // its client side, on the same host
    c.add(closed(42000, 443)); // an outgoing connection
    const s = c.summarize();
    expect(byPort(s.serverPorts)['7000']!.closed).toBe(1);
    expect(byPort(s.clientPorts)['7000']!.closed).toBe(1);
    expect(byPort(s.clientPorts)['443']!.closed).toBe(1);
    expect(byPort(s.serverPorts)['41000']).toBeUndefined();
    expect(byPort(s.serverPorts)['443']!.closed).toBe(0);
    expect(s.connections).toBe(3);
  });

  it('leaves sockets without a peer (listeners, never connected) out', () => {
    const c = new ClosedConnectionCounters({ maxServerPorts: 10, topClientPorts: 10, pinnedPorts: [], ephemeralPorts: 'number' }, NO_SERIES_HYSTERESIS);
    c.startCycle(null, [7000]);
    c.add(closed(7000, 0));
    c.add(closed(0, 0));
    const s = c.summarize();
    expect(sumClosed(s)).toBe(0);
    expect(s.withoutPeer).toBe(2);
  });

  it('counts a connection disconnected in its listener\'s accept queue as the server end of the listener\'s port', () => {
    const c = new ClosedConnectionCounters({ maxServerPorts: 10, topClientPorts: 10, pinnedPorts: [], ephemeralPorts: 'number' }, NO_SERIES_HYSTERESIS);
    // The listener of the last dump: its children come after it closed.
    c.startCycle(null, [7000]);
    c.add(closed(7000, 0, {}, true));
    c.add(closed(7000, 0, {}, true));
    const s = c.summarize();
    expect(byPort(s.serverPorts)['7000']!.closed).toBe(2);
    expect(byPort(s.serverPorts)['7000']!.bytesReceived).toBe(0);
    expect(byPort(s.clientPorts)['7000']).toBeUndefined();
    expect(s.connections).toBe(2);
    expect(s.withoutPeer).toBe(0);
  });

  it('leaves a disconnected socket on a port without a listener out: a blocking connect() that failed, its peer port erased', () => {
    const c = new ClosedConnectionCounters({ maxServerPorts: 10, topClientPorts: 10, pinnedPorts: [8000], ephemeralPorts: 'number' }, NO_SERIES_HYSTERESIS);
    c.startCycle(null, [7000]);
    // From an ephemeral port, and from a bound one (8000: pinned, but nothing listens on it).
    c.add(closed(41000, 0, {}, true));
    c.add(closed(8000, 0, {}, true));
    const s = c.summarize();
    expect(sumClosed(s)).toBe(0);
    expect(s.connections).toBe(0);
    expect(s.withoutPeer).toBe(2);
  });

  it('counts data bytes: sent without retransmissions, received without the peer FIN', () => {
    const c = new ClosedConnectionCounters({ maxServerPorts: 10, topClientPorts: 10, pinnedPorts: [7000], ephemeralPorts: 'number' }, NO_SERIES_HYSTERESIS);
    c.startCycle(null, [7000]);
    // The client side of 5000 bytes out, 300 back, as 6.18 reports it, with one 1448-byte retransmission.
    c.add(closed(41000, 7000, { bytesAcked: 5002, bytesSent: 6448, bytesRetrans: 1448, bytesReceived: 301, segsOut: 7, segsIn: 4, totalRetrans: 1 }));
    // The server side: bytes_acked 301 (its FIN; no SYN on the passive side).
    c.add(closed(7000, 41000, { bytesAcked: 301, bytesSent: 300, bytesReceived: 5001, segsOut: 4, segsIn: 6 }));
    const s = c.summarize();
    expect(byPort(s.clientPorts)['7000']).toMatchObject({ closed: 1, bytesSent: 5000, bytesReceived: 300, segmentsOut: 7, segmentsIn: 4, retransmitted: 1 });
    expect(byPort(s.serverPorts)['7000']).toMatchObject({ closed: 1, bytesSent: 300, bytesReceived: 5000, segmentsOut: 4, segmentsIn: 6, retransmitted: 0 });
  });

  it('on a kernel without tcpi_bytes_sent (before 4.19) takes the FIN, and a client socket\'s SYN, off tcpi_bytes_acked', () => {
    const c = new ClosedConnectionCounters({ maxServerPorts: 10, topClientPorts: 10, pinnedPorts: [7000], ephemeralPorts: 'number' }, NO_SERIES_HYSTERESIS);
    c.startCycle(null, [7000]);
    c.add(closed(41000, 7000, { bytesAcked: 5002, bytesSent: -1, bytesRetrans: -1, bytesReceived: 301 }));
    c.add(closed(7000, 41000, { bytesAcked: 301, bytesSent: -1, bytesRetrans: -1, bytesReceived: 5001 }));
    const s = c.summarize();
    expect(byPort(s.clientPorts)['7000']!.bytesSent).toBe(5000);
    expect(byPort(s.serverPorts)['7000']!.bytesSent).toBe(300);
  });

  it('reports the busiest ports up to the cap, pinned ones always, the rest in "other"; a port named later starts at 0', () => {
    const c = new ClosedConnectionCounters({ maxServerPorts: 1, topClientPorts: 1, pinnedPorts: [9], ephemeralPorts: 'number' }, NO_SERIES_HYSTERESIS);
    c.startCycle(null, [80, 443]);
    c.summarize(); // the first collection, before any event (as the collector makes it): every series starts there
    for (let i = 0; i < 3; i++) c.add(closed(443, 50000 + i));
    c.add(closed(80, 50100));
    c.add(closed(51000, 5432));
    c.add(closed(51001, 5432));
    c.add(closed(51002, 6379));
    let s = c.summarize();
    // 443 and 5432 get their series now, at 0: what they counted so far is published in "other".
    expect(s.serverPorts.map((p) => [p.port, p.closed])).toEqual([['9', 0], ['443', 0], ['other', 4]]);
    expect(s.clientPorts.map((p) => [p.port, p.closed])).toEqual([['9', 0], ['5432', 0], ['other', 3]]);
    c.add(closed(443, 50003));
    c.add(closed(80, 50101));
    c.add(closed(51003, 5432));
    s = c.summarize();
    expect(s.serverPorts.map((p) => [p.port, p.closed])).toEqual([['9', 0], ['443', 1], ['other', 5]]);
    expect(s.clientPorts.map((p) => [p.port, p.closed])).toEqual([['9', 0], ['5432', 1], ['other', 3]]);
  });

  it('keeps what was counted when a port leaves the named set, and a newcomer starts at 0', () => {
    const c = new ClosedConnectionCounters({ maxServerPorts: 1, topClientPorts: 1, pinnedPorts: [], ephemeralPorts: 'number' }, NO_SERIES_HYSTERESIS);
    c.startCycle(null, [80, 443, 8080]);
    c.summarize(); // the first collection, before any event (as the collector makes it): every series starts there
    c.add(closed(80, 50000));
    c.add(closed(80, 50001));
    let s = c.summarize();
    expect(s.serverPorts.map((p) => [p.port, p.closed])).toEqual([['80', 0], ['other', 2]]);
    c.add(closed(80, 50002));
    s = c.summarize();
    expect(s.serverPorts.map((p) => [p.port, p.closed])).toEqual([['80', 1], ['other', 2]]);
    // 443 arrives and, with 4 connections since start against 80's 3, takes the slot: its series
    // starts at 0 (its 4 are published in "other"), and 80 hands its series' 1 to "other".
    for (let i = 0; i < 4; i++) c.add(closed(443, 50100 + i));
    s = c.summarize();
    expect(s.serverPorts.map((p) => [p.port, p.closed])).toEqual([['443', 0], ['other', 7]]);
    c.add(closed(8080, 50003));
    c.add(closed(443, 50104));
    s = c.summarize();
    expect(s.serverPorts.map((p) => [p.port, p.closed])).toEqual([['443', 1], ['other', 8]]);
    // 80 takes the slot back (6 since start against 443's 5): a new series at 0 again.
    for (let i = 0; i < 3; i++) c.add(closed(80, 50004 + i));
    s = c.summarize();
    expect(s.serverPorts.map((p) => [p.port, p.closed])).toEqual([['80', 0], ['other', 12]]);
  });

  it('never lets a series go down and always sums to every connection counted (random churn)', () => {
    const ports = [80, 443, 8080, 9000];
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.record({ kind: fc.constant('event' as const), port: fc.constantFrom(...ports), server: fc.boolean(), bytes: fc.nat(10_000) }), fc.constant({ kind: 'summary' as const })), { maxLength: 200 }),
        fc.integer({ min: 0, max: 3 }),
        (steps, cap) => {
          const c = new ClosedConnectionCounters({ maxServerPorts: cap, topClientPorts: cap, pinnedPorts: [], ephemeralPorts: 'number' }, NO_SERIES_HYSTERESIS);
          c.startCycle(null, ports);
          const last = new Map<string, number>();
          let events = 0;
          let bytes = 0;
          let summaries = 0;
          for (const step of steps) {
            if (step.kind === 'event') {
              events++;
              bytes += step.bytes;
              c.add(step.server ? closed(step.port, 60000, { bytesSent: step.bytes }) : closed(60000, step.port + 1, { bytesSent: step.bytes }));
              continue;
            }
            const s = c.summarize();
            expect(sumClosed(s)).toBe(events);
            expect([...s.serverPorts, ...s.clientPorts].reduce((a, p) => a + p.bytesSent, 0)).toBe(bytes);
            for (const [role, list] of [['server', s.serverPorts], ['client', s.clientPorts]] as const) {
              expect(list.length).toBeLessThanOrEqual(cap + 1);
              expectSeriesGrowFromZero(role, list, last, summaries > 0);
            }
            summaries++;
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('folds ports inside the ephemeral range into "ephemeral" and, with hysteresis and a range that moves, still never lets a series go down', () => {
    const ports = [80, 443, 33000, 40000, 50000];
    const ranges = [{ low: 32768, high: 60999 }, { low: 1024, high: 36000 }];
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.record({ kind: fc.constant('event' as const), port: fc.constantFrom(...ports), server: fc.boolean() }), fc.record({ kind: fc.constant('summary' as const), range: fc.nat(1) })), { maxLength: 200 }),
        fc.integer({ min: 0, max: 3 }),
        (steps, cap) => {
          const c = new ClosedConnectionCounters({ maxServerPorts: cap, topClientPorts: cap, pinnedPorts: [], ephemeralPorts: 'fold' }, { admitCycles: 2, keepCycles: 3 });
          c.startCycle(ranges[0]!, ports);
          const last = new Map<string, number>();
          let events = 0;
          let summaries = 0;
          for (const step of steps) {
            if (step.kind === 'event') {
              events++;
              c.add(step.server ? closed(step.port, 60000) : closed(60000, step.port + 1));
              continue;
            }
            const s = c.summarize();
            expect(sumClosed(s)).toBe(events);
            for (const [role, list] of [['server', s.serverPorts], ['client', s.clientPorts]] as const) {
              expect(list.map((p) => p.port).slice(-2)).toEqual(['other', 'ephemeral']);
              expectSeriesGrowFromZero(role, list, last, summaries > 0);
            }
            summaries++;
            c.startCycle(ranges[step.range]!, ports);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('counts a server port inside the ephemeral range (listen(0)) under port="ephemeral" in fold mode', () => {
    const c = new ClosedConnectionCounters({ maxServerPorts: 10, topClientPorts: 10, pinnedPorts: [], ephemeralPorts: 'fold' }, NO_SERIES_HYSTERESIS);
    c.startCycle({ low: 32768, high: 60999 }, [40000, 8080]);
    c.summarize(); // the first collection, before any event (as the collector makes it): every series starts there
    c.add(closed(40000, 45000));
    c.add(closed(8080, 45001));
    let s = c.summarize();
    // 8080 is named at this summary: its first connection is "other"'s; the next are its own.
    expect(s.serverPorts.map((p) => [p.port, p.closed])).toEqual([['8080', 0], ['other', 1], ['ephemeral', 1]]);
    c.add(closed(40000, 45002));
    c.add(closed(8080, 45003));
    s = c.summarize();
    expect(s.serverPorts.map((p) => [p.port, p.closed])).toEqual([['8080', 1], ['other', 1], ['ephemeral', 2]]);
  });
});
