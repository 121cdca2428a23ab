import { describe, expect, it } from 'vitest';
import { NO_SERIES_HYSTERESIS } from '../../../src/aggregate/portSeries.js';
import { SocketAggregator } from '../../../src/aggregate/socketAggregator.js';
import { RTT_BUCKETS_US, rttBucket, TcpInfoAggregator } from '../../../src/aggregate/tcpInfoAggregator.js';
import { newSocketRecord } from '../../../src/model/socketRecord.js';
import type { PortStates } from '../../../src/aggregate/socketSummary.js';
import { STATE_CODE, zeroStates, type TcpStateName } from '../../../src/model/tcpState.js';

/** A tcp_info aggregator on `agg`'s port slots, as the sockets collector makes it. */
const infoOf = (agg: SocketAggregator): TcpInfoAggregator => new TcpInfoAggregator(agg.portIndex(true), agg.portIndex(false));

/** Feeds both aggregators as the sockets collector does: the tcp_info one takes the socket aggregator's role. */
function walk(limits: { maxServerPorts: number; topClientPorts: number }, sockets: Array<[TcpStateName, number, number, number?, number?]>) {
  const agg = new SocketAggregator({ ...limits, pinnedPorts: [], ephemeralPorts: 'number' }, NO_SERIES_HYSTERESIS);
  const info = infoOf(agg);
  const r = newSocketRecord();
  for (const [state, localPort, remotePort, rttUs = -1, retransmits = -1] of sockets) {
    r.state = STATE_CODE[state];
    r.localPort = localPort;
    r.remotePort = remotePort;
    r.info.rttUs = rttUs;
    r.info.retransmits = retransmits;
    info.add(r, agg.add(r), agg.lastPortSlot);
  }
  const summary = agg.summarize();
  return info.summarize(summary.serverPorts, summary.clientPorts, () => false);
}

describe('rttBucket', () => {
  /** The definition: the first bucket whose bound is not below the RTT, +Inf past the last. */
  const linear = (us: number): number => {
    let b = 0;
    while (b < RTT_BUCKETS_US.length && us > RTT_BUCKETS_US[b]!) b++;
    return b;
  };

  it('agrees with a walk up the bounds at every bound, beside it, at every power of two and at the extremes', () => {
    const rtts = new Set<number>([1, 2, 3, 2 ** 32 - 1, 2 ** 31, 2 ** 31 - 1]);
    for (const b of RTT_BUCKETS_US) for (const d of [-1, 0, 1]) rtts.add(b + d);
    for (let k = 0; k < 32; k++) for (const d of [-1, 0, 1]) if (2 ** k + d >= 1) rtts.add(2 ** k + d);
    for (const us of rtts) expect([us, rttBucket(us)]).toEqual([us, linear(us)]);
  });

  it('agrees with it over a spread of RTTs from 1 µs to an hour', () => {
    for (let us = 1; us < 3.6e9; us = Math.ceil(us * 1.013) + 1) expect([us, rttBucket(us)]).toEqual([us, linear(us)]);
  });
});

describe('TcpInfoAggregator', () => {
  it('folds ESTABLISHED sockets with an RTT sample by the socket aggregator\'s role, into cumulative buckets', () => {
    const s = walk({ maxServerPorts: 10, topClientPorts: 10 }, [
      ['listen', 443, 0],
      ['established', 443, 50000, 100, 0], // exactly on a bound: that bucket (le)
      ['established', 443, 50001, 101, 0],
      ['established', 443, 50002, 12_000_000, 2], // past 10 s: +Inf only; retransmitting
      ['established', 443, 50003, 0, 0], // no RTT sample yet: left out
      ['close_wait', 443, 50004, 500, 1], // not ESTABLISHED
      ['time_wait', 443, 50005], // no tcp_info
      ['established', 51000, 5432, 2_000, 0], // outgoing: client of 5432
    ]);
    const server = s.serverPorts.find((p) => p.port === '443')!;
    expect(server.rttCount).toBe(3);
    expect(server.rttBuckets).toHaveLength(RTT_BUCKETS_US.length + 1);
    expect(server.rttBuckets[0]).toBe(1); // le 100 µs
    expect(server.rttBuckets[1]).toBe(2); // le 250 µs
    expect(server.rttBuckets[RTT_BUCKETS_US.length - 1]).toBe(2); // le 10 s
    expect(server.rttBuckets[RTT_BUCKETS_US.length]).toBe(3); // +Inf
    expect(server.rttSumSeconds).toBeCloseTo((100 + 101 + 12_000_000) / 1e6, 9);
    expect(server.retransmitting).toBe(1);
    expect(s.clientPorts.find((p) => p.port === '5432')).toMatchObject({ rttCount: 1, retransmitting: 0 });
    expect(s.sockets).toBe(4);
  });

  it('names the ports tcpstate_port_sockets names in the same walk, and sums the rest in "other"', () => {
    const s = walk({ maxServerPorts: 1, topClientPorts: 1 }, [
      ['listen', 80, 0],
      ['listen', 443, 0],
      ['established', 443, 50000, 300, 0],
      ['established', 443, 50001, 300, 0],
      ['established', 80, 50002, 300, 1],
      ['established', 51000, 5432, 300, 0],
      ['established', 51001, 5432, 300, 0],
      ['established', 51002, 6379, 300, 1],
    ]);
    expect(s.serverPorts.map((p) => [p.port, p.rttCount, p.retransmitting])).toEqual([['443', 2, 0], ['other', 1, 1]]);
    expect(s.clientPorts.map((p) => [p.port, p.rttCount, p.retransmitting])).toEqual([['5432', 2, 0], ['other', 1, 1]]);
  });

  it('starts every cycle empty', () => {
    const agg = new SocketAggregator({ maxServerPorts: 10, topClientPorts: 10, pinnedPorts: [], ephemeralPorts: 'number' }, NO_SERIES_HYSTERESIS);
    const info = infoOf(agg);
    const r = newSocketRecord();
    r.state = STATE_CODE.established;
    r.localPort = 40000;
    r.remotePort = 443;
    r.info.rttUs = 300;
    info.add(r, agg.add(r), agg.lastPortSlot);
    expect(info.summarize([], [{ port: 'other', states: [] }], () => false).clientPorts).toEqual([expect.objectContaining({ port: 'other', rttCount: 1 })]);
    // The next cycle: the same port counted again, without an RTT sample this time.
    agg.reset();
    info.reset();
    r.info.rttUs = 0;
    info.add(r, agg.add(r), agg.lastPortSlot);
    const s = info.summarize([], [{ port: 'other', states: [] }], () => false);
    expect(s.clientPorts).toEqual([expect.objectContaining({ port: 'other', rttCount: 0, rttSumSeconds: 0 })]);
  });
});

describe('TcpInfoAggregator with port="ephemeral" (fold mode)', () => {
  it('puts a port the socket series folded into "ephemeral" there too, and the rest of the unnamed ports in "other"', () => {
    const agg = new SocketAggregator({ maxServerPorts: 1, topClientPorts: 5, pinnedPorts: [], ephemeralPorts: 'fold' }, NO_SERIES_HYSTERESIS);
    agg.reset({ low: 32768, high: 60999 });
    const info = infoOf(agg);
    const r = newSocketRecord();
    for (const [state, localPort, remotePort, rttUs] of [
      ['listen', 443, 0, -1],
      ['listen', 80, 0, -1],
      ['listen', 40000, 0, -1], // listen(0): a kernel-chosen port
      ['established', 443, 50000, 300],
      ['established', 443, 50001, 300],
      ['established', 80, 50002, 300],
      ['established', 40000, 50003, 300],
    ] as Array<[TcpStateName, number, number, number]>) {
      r.state = STATE_CODE[state];
      r.localPort = localPort;
      r.remotePort = remotePort;
      r.info.rttUs = rttUs;
      r.info.retransmits = 0;
      info.add(r, agg.add(r), agg.lastPortSlot);
    }
    const summary = agg.summarize();
    const s = info.summarize(summary.serverPorts, summary.clientPorts, (p) => p >= 32768 && p <= 60999);
    expect(summary.serverPorts.map((p) => p.port)).toEqual(['443', 'other', 'ephemeral']);
    expect(s.serverPorts.map((p) => [p.port, p.rttCount])).toEqual([['443', 2], ['other', 1], ['ephemeral', 1]]);
  });

  it('keeps each port apart over more ports than its first slots, and forgets them all at reset', () => {
    const agg = new SocketAggregator({ maxServerPorts: 1000, topClientPorts: 10, pinnedPorts: [], ephemeralPorts: 'number' }, NO_SERIES_HYSTERESIS);
    const info = infoOf(agg);
    const r = newSocketRecord();
    const ports = Array.from({ length: 300 }, (_, i) => 1024 + i * 211); // scattered over the port space
    const walkOnce = (rttOf: (i: number) => number, order: readonly number[]): ReturnType<TcpInfoAggregator['summarize']> => {
      agg.reset();
      info.reset();
      for (const port of order) {
        r.state = STATE_CODE.listen;
        r.localPort = port;
        r.remotePort = 0;
        agg.add(r);
      }
      r.state = STATE_CODE.established;
      ports.forEach((port, i) => {
        r.localPort = port;
        r.remotePort = 40000;
        r.info.rttUs = rttOf(i);
        r.info.retransmits = i % 3 === 0 ? 1 : 0;
        for (let k = 0; k <= i % 4; k++) info.add(r, agg.add(r), agg.lastPortSlot);
      });
      const named: PortStates[] = ports.map((p) => ({ port: String(p), states: zeroStates() }));
      return info.summarize(named, [], () => false);
    };
    // The second cycle gives the ports other slots (listeners in the reverse order): nothing of the
    // first may stay in a slot.
    for (const [rttOf, order] of [
      [(i: number) => 100 + i, ports],
      [(i: number) => 5_000_000 + i, [...ports].reverse()],
    ] as const) {
      const s = walkOnce(rttOf, order);
      ports.forEach((port, i) => {
        const p = s.serverPorts.find((x) => x.port === String(port))!;
        const n = (i % 4) + 1;
        expect([p.rttCount, p.retransmitting]).toEqual([n, i % 3 === 0 ? n : 0]);
        expect(p.rttSumSeconds).toBeCloseTo((n * rttOf(i)) / 1e6, 9);
      });
      expect(s.serverPorts.find((x) => x.port === 'other')!.rttCount).toBe(0);
    }
  });
});
