import { describe, expect, it } from 'vitest';
import { SocketAggregator } from '../../../src/aggregate/socketAggregator.js';
import { worstCasePortSeries, type PortStates } from '../../../src/aggregate/socketSummary.js';
import { newSocketRecord, TIMER_KEEPALIVE, TIMER_NONE, TIMER_RETRANSMIT } from '../../../src/model/socketRecord.js';
import { STATE_CODE, STATE_SLOTS, statesByName, TCP_STATES, type TcpStateName } from '../../../src/model/tcpState.js';

function feed(agg: SocketAggregator, sockets: Array<[TcpStateName, number, number, number?, number?, number?]>): void {
  const r = newSocketRecord();
  for (const [state, localPort, remotePort, timer = TIMER_NONE, rx = 0, tx = 0] of sockets) {
    r.state = STATE_CODE[state];
    r.localPort = localPort;
    r.remotePort = remotePort;
    r.timer = timer;
    r.rxQueue = rx;
    r.txQueue = tx;
    agg.add(r);
  }
}

const named = (ports: readonly PortStates[]): Record<string, Record<string, number>> =>
  Object.fromEntries(
    ports.map((p) => [p.port, Object.fromEntries(Object.entries(statesByName(p.states)).filter(([, n]) => n !== 0))]),
  );

describe('SocketAggregator', () => {
  it('splits server sockets by local listening port and client sockets by remote port', () => {
    const agg = new SocketAggregator({ maxServerPorts: 10, topClientPorts: 10, pinnedPorts: [] });
    feed(agg, [
      ['listen', 8080, 0, 0, 2, 128],
      ['established', 8080, 50000],
      ['close_wait', 8080, 50001],
      ['established', 50000, 8080],
      ['fin_wait2', 50001, 8080],
      ['time_wait', 41000, 443],
    ]);
    const s = agg.summarize();
    expect(named(s.serverPorts)).toEqual({ '8080': { listen: 1, established: 1, close_wait: 1 }, other: {}, ephemeral: {} });
    expect(named(s.clientPorts)).toEqual({ '443': { time_wait: 1 }, '8080': { established: 1, fin_wait2: 1 }, other: {}, ephemeral: {} });
    expect(s.listenQueues).toEqual([
      { port: '8080', listeners: 1, acceptQueue: 2, backlog: 128, maxFillRatio: 2 / 129 },
      { port: 'other', listeners: 0, acceptQueue: 0, backlog: 0, maxFillRatio: 0 },
      { port: 'ephemeral', listeners: 0, acceptQueue: 0, backlog: 0, maxFillRatio: 0 },
    ]);
  });

  it('caps server ports, keeps the busiest, and folds the rest into "other"', () => {
    const agg = new SocketAggregator({ maxServerPorts: 2, topClientPorts: 1, pinnedPorts: [] });
    const sockets: Array<[TcpStateName, number, number]> = [];
    for (const [port, conns] of [[80, 5], [443, 3], [22, 1], [25, 0]] as const) {
      sockets.push(['listen', port, 0]);
      for (let i = 0; i < conns; i++) sockets.push(['established', port, 40000 + i]);
    }
    for (let i = 0; i < 4; i++) sockets.push(['established', 30000 + i, 5432]);
    sockets.push(['established', 31000, 6379]);
    feed(agg, sockets);
    const s = agg.summarize();
    expect(named(s.serverPorts)).toEqual({ '80': { listen: 1, established: 5 }, '443': { listen: 1, established: 3 }, other: { listen: 2, established: 1 }, ephemeral: {} });
    expect(named(s.clientPorts)).toEqual({ '5432': { established: 4 }, other: { established: 1 }, ephemeral: {} });
    expect(s.listenQueues.map((q) => [q.port, q.listeners])).toEqual([['80', 1], ['443', 1], ['other', 2], ['ephemeral', 0]]);
  });

  it('always reports pinned ports in both roles, even at zero', () => {
    const agg = new SocketAggregator({ maxServerPorts: 0, topClientPorts: 0, pinnedPorts: [9999, 80] });
    feed(agg, [['listen', 80, 0], ['established', 80, 1234], ['established', 40000, 5000]]);
    const s = agg.summarize();
    expect(named(s.serverPorts)).toEqual({ '80': { listen: 1, established: 1 }, '9999': {}, other: {}, ephemeral: {} });
    expect(named(s.clientPorts)).toEqual({ '80': {}, '9999': {}, other: { established: 1 }, ephemeral: {} });
    expect(s.serverPorts.every((p) => p.states.length === STATE_SLOTS)).toBe(true);
  });

  it('counts keepalive coverage of ESTABLISHED sockets, overall, per server port and per client remote port', () => {
    const agg = new SocketAggregator({ maxServerPorts: 10, topClientPorts: 1, pinnedPorts: [] });
    feed(agg, [
      ['listen', 22, 0],
      ['established', 22, 50000, TIMER_KEEPALIVE],
      ['established', 22, 50001, TIMER_NONE],
      ['established', 22, 50002, TIMER_RETRANSMIT],
      ['established', 41000, 443, TIMER_NONE],
      ['close_wait', 22, 50003, TIMER_KEEPALIVE],
      // A connection pool to 5432: two with SO_KEEPALIVE, one without, one not yet established.
      ['established', 41001, 5432, TIMER_KEEPALIVE],
      ['established', 41002, 5432, TIMER_KEEPALIVE],
      ['established', 41003, 5432, TIMER_NONE],
      ['syn_sent', 41004, 5432, TIMER_RETRANSMIT],
    ]);
    const s = agg.summarize();
    expect(s.keepalive).toEqual({ armed: 3, notArmed: 3, unknown: 1 });
    expect(s.keepaliveByServerPort).toEqual([
      { port: '22', armed: 1, notArmed: 1, unknown: 1 },
      { port: 'other', armed: 0, notArmed: 0, unknown: 0 },
      { port: 'ephemeral', armed: 0, notArmed: 0, unknown: 0 },
    ]);
    // The client cap (1) names 5432, the busiest remote port; 443 goes to "other", as in clientPorts.
    expect(s.clientPorts.map((p) => p.port)).toEqual(['5432', 'other', 'ephemeral']);
    expect(s.keepaliveByClientPort).toEqual([
      { port: '5432', armed: 2, notArmed: 1, unknown: 0 },
      { port: 'other', armed: 0, notArmed: 1, unknown: 0 },
      { port: 'ephemeral', armed: 0, notArmed: 0, unknown: 0 },
    ]);
  });

  it('reads a full accept queue as 1: backlog + 1 connections, listen(0) included', () => {
    const agg = new SocketAggregator({ maxServerPorts: 10, topClientPorts: 10, pinnedPorts: [] });
    // [port, queued, backlog]: the kernel drops once the queue holds backlog + 1.
    feed(agg, [
      ['listen', 80, 0, 0, 1, 0],
      ['listen', 81, 0, 0, 3, 2],
      ['listen', 82, 0, 0, 0, 0],
      ['listen', 83, 0, 0, 2, 2],
      // Two listeners on one port (SO_REUSEPORT): the fuller one's ratio.
      ['listen', 84, 0, 0, 1, 4],
      ['listen', 84, 0, 0, 4, 4],
    ]);
    expect(Object.fromEntries(agg.summarize().listenQueues.map((q) => [q.port, q.maxFillRatio]))).toEqual({ '80': 1, '81': 1, '82': 0, '83': 2 / 3, '84': 4 / 5, other: 0, ephemeral: 0 });
  });

  it('sums queue bytes of non-listening sockets per state, never mixing in listeners', () => {
    const agg = new SocketAggregator({ maxServerPorts: 10, topClientPorts: 10, pinnedPorts: [] });
    feed(agg, [
      ['listen', 80, 0, 0, 7, 100],
      ['established', 80, 1, 0, 10, 20],
      ['established', 80, 2, 0, 5, 0],
    ]);
    const s = agg.summarize();
    expect(s.receiveQueueBytes[STATE_CODE.established]).toBe(15);
    expect(s.sendQueueBytes[STATE_CODE.established]).toBe(20);
    expect(s.receiveQueueBytes[STATE_CODE.listen]).toBe(0);
  });

  it('counts data bytes only: the FIN and SYN the kernel counts as a byte of the queues are left out', () => {
    const agg = new SocketAggregator({ maxServerPorts: 10, topClientPorts: 10, pinnedPorts: [] });
    // [state, rx, tx] as the kernel reports them (verified on real sockets in test/integration/sources/queueBytes.test.ts).
    const cases: Array<[TcpStateName, number, number]> = [
      ['close_wait', 1, 0], // FIN unread, no data
      ['close_wait', 101, 0], // 100 bytes, then the FIN, unread
      ['close_wait', 0, 0], // the application read the end of stream
      ['last_ack', 101, 1], // 100 bytes + FIN unread; our FIN unacknowledged
      ['closing', 1, 31], // FIN unread; 30 bytes + our FIN unacknowledged
      ['fin_wait1', 0, 101],
      ['syn_sent', 0, 1],
      ['fin_wait2', 7, 0], // no FIN received yet: all data
      ['time_wait', 0, 0],
    ];
    feed(agg, cases.map(([state, rx, tx]) => [state, 40000, 8080, TIMER_NONE, rx, tx]));
    const s = agg.summarize();
    const bytes = (v: readonly number[]) => Object.fromEntries(Object.entries(statesByName(v)).filter(([, n]) => n !== 0));
    expect(bytes(s.receiveQueueBytes)).toEqual({ close_wait: 100, last_ack: 100, fin_wait2: 7 });
    expect(bytes(s.sendQueueBytes)).toEqual({ closing: 30, fin_wait1: 100 });
  });

  it('reports the backlog as unknown when a source cannot see it', () => {
    const agg = new SocketAggregator({ maxServerPorts: 10, topClientPorts: 10, pinnedPorts: [] });
    feed(agg, [['listen', 80, 0, 0, 3, -1]]);
    expect(agg.summarize().listenQueues[0]).toEqual({ port: '80', listeners: 1, acceptQueue: 3, backlog: null, maxFillRatio: null });
  });

  it('starts from zero after reset', () => {
    const agg = new SocketAggregator({ maxServerPorts: 10, topClientPorts: 10, pinnedPorts: [] });
    feed(agg, [['listen', 80, 0], ['established', 80, 1]]);
    agg.reset();
    feed(agg, [['time_wait', 41000, 443]]);
    const s = agg.summarize();
    expect(named(s.serverPorts)).toEqual({ other: {}, ephemeral: {} });
    expect(s.byFamily.ipv4.reduce((a, b) => a + b)).toBe(1);
  });

  it('never names more ports than the documented worst case, however many ports are busy', () => {
    const limits = { maxServerPorts: 5, topClientPorts: 3, pinnedPorts: [1, 2] };
    const agg = new SocketAggregator(limits);
    const sockets: Array<[TcpStateName, number, number]> = [];
    for (let p = 1000; p < 3000; p++) sockets.push(['listen', p, 0], ['established', 40000 + p, p + 10000]);
    feed(agg, sockets);
    const s = agg.summarize();
    // Every state for server ports; every state but LISTEN for client ports.
    const series = s.serverPorts.length * TCP_STATES.length + s.clientPorts.length * (TCP_STATES.length - 1);
    expect(s.serverPorts).toHaveLength(5 + 2 + 2);
    expect(s.clientPorts).toHaveLength(3 + 2 + 2);
    expect(series).toBe(worstCasePortSeries(limits));
    const total = (ports: readonly PortStates[]): number => ports.reduce((a, p) => a + p.states.reduce((x, y) => x + y, 0), 0);
    expect(total(s.serverPorts)).toBe(2000);
    expect(total(s.clientPorts)).toBe(2000);
  });

  it('keeps counting a server whose listener is gone under its port, in both families', () => {
    const agg = new SocketAggregator({ maxServerPorts: 10, topClientPorts: 10, pinnedPorts: [] }, { admitCycles: 1, keepCycles: 5 });
    const range = { low: 1024, high: 65535 }; // widened over service ports: only memory can tell
    agg.reset(range);
    feed(agg, [['listen', 8080, 0], ['established', 8080, 2000], ['established', 2000, 8080]]);
    agg.summarize();
    for (let c = 0; c < 10; c++) {
      agg.reset(range);
      // The listener was closed; the accepted socket from peer port 2000 is in CLOSE_WAIT for good.
      feed(agg, [['close_wait', 8080, 2000], ['fin_wait2', 2000, 8080]]);
      const s = agg.summarize();
      expect(named(s.serverPorts)['ephemeral']).toEqual({ close_wait: 1 });
      expect(named(s.clientPorts)['ephemeral']).toEqual({ fin_wait2: 1 });
    }
  });

  it('folds ports inside the ephemeral range into "ephemeral", or names them with ephemeralPorts "number"', () => {
    const sockets: Array<[TcpStateName, number, number]> = [['listen', 45000, 0], ['established', 45000, 50000], ['established', 50000, 45000], ['listen', 80, 0]];
    const folded = new SocketAggregator({ maxServerPorts: 10, topClientPorts: 10, pinnedPorts: [] });
    folded.reset({ low: 32768, high: 60999 });
    feed(folded, sockets);
    const f = folded.summarize();
    expect(named(f.serverPorts)).toEqual({ '80': { listen: 1 }, other: {}, ephemeral: { listen: 1, established: 1 } });
    expect(named(f.clientPorts)).toEqual({ other: {}, ephemeral: { established: 1 } });
    expect(f.listenQueues.map((q) => [q.port, q.listeners])).toEqual([['80', 1], ['other', 0], ['ephemeral', 1]]);
    const byNumber = new SocketAggregator({ maxServerPorts: 10, topClientPorts: 10, pinnedPorts: [], ephemeralPorts: 'number' });
    byNumber.reset({ low: 32768, high: 60999 });
    feed(byNumber, sockets);
    const n = byNumber.summarize();
    expect(named(n.serverPorts)).toEqual({ '80': { listen: 1 }, '45000': { listen: 1, established: 1 }, other: {} });
    expect(named(n.clientPorts)).toEqual({ '45000': { established: 1 }, other: {} });
  });

  it('keeps every socket counted exactly once per role while ports come, go and wait for a slot', () => {
    const limits = { maxServerPorts: 3, topClientPorts: 2, pinnedPorts: [22] };
    const agg = new SocketAggregator(limits, { admitCycles: 3, keepCycles: 4 });
    const sum = (ports: readonly PortStates[]) => ports.reduce((a, p) => a + p.states.reduce((x, y) => x + y, 0), 0);
    let seed = 7;
    const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    for (let c = 0; c < 60; c++) {
      agg.reset({ low: 32768, high: 60999 });
      const sockets: Array<[TcpStateName, number, number]> = [];
      for (let p = 0; p < 8; p++) {
        const port = 1000 + ((c + p * 5) % 40); // ports drift in and out
        sockets.push(['listen', port, 0]);
        for (let i = rand(6); i > 0; i--) sockets.push(['established', port, 40000 + rand(20000)]);
      }
      for (let i = rand(30); i > 0; i--) sockets.push(['time_wait', 40000 + rand(20000), 5000 + rand(10)]);
      sockets.push(['listen', 22, 0], ['listen', 45000 + c, 0]);
      feed(agg, sockets);
      const s = agg.summarize();
      const servers = sockets.filter(([, local]) => local < 32768 || sockets.some(([st, l]) => st === 'listen' && l === local)).length;
      expect(sum(s.serverPorts)).toBe(servers);
      expect(sum(s.clientPorts)).toBe(sockets.length - servers);
      expect(s.serverPorts.length).toBeLessThanOrEqual(3 + 1 + 2);
      expect(s.clientPorts.length).toBeLessThanOrEqual(2 + 1 + 2);
    }
  });
});
