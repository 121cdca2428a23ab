import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Snapshot } from '../../../src/snapshot/snapshot.js';
import { STATE_CODE, statesByName } from '../../../src/model/tcpState.js';
import { livePoller } from '../../helpers/collect.js';
import { eventually } from '../../helpers/exporterProcess.js';
import { LoopbackSockets } from '../../helpers/loopbackSockets.js';
import { ssPortStates, ssSockets, type SsSocket } from '../../helpers/ss.js';
import { haveTool } from '../../helpers/tools.js';

const byName = (counts: readonly number[]): Record<string, number> =>
  Object.fromEntries(Object.entries(statesByName(counts)).filter(([, n]) => n !== 0));

describe.runIf(process.platform === 'linux' && haveTool('ss'))('real loopback sockets against ss -tan', () => {
  const net = new LoopbackSockets();
  let halfOpenPort = 0; // listen, established, close_wait on the server side
  let closingPort = 0; // clients close first: time_wait on the client side
  let queuePort = 0; // never accepts: a listen queue
  let v6Port = 0;
  let before: SsSocket[] = [];
  let after: SsSocket[] = [];
  let snapshot: Snapshot;

  beforeAll(async () => {
    halfOpenPort = await net.listen('127.0.0.1', { allowHalfOpen: true, keepAliveFirst: 1 });
    closingPort = await net.listen('127.0.0.1', { allowHalfOpen: false });
    queuePort = await net.listenWithoutAccepting(8);
    const estab = [];
    for (let i = 0; i < 3; i++) estab.push(await net.connect('127.0.0.1', halfOpenPort));
    for (let i = 0; i < 2; i++) await net.halfClose(await net.connect('127.0.0.1', halfOpenPort));
    for (let i = 0; i < 2; i++) await net.activeClose(await net.connect('127.0.0.1', closingPort));
    for (let i = 0; i < 3; i++) await net.connect('127.0.0.1', queuePort);
    try {
      v6Port = await net.listen('::1', { allowHalfOpen: false });
      for (let i = 0; i < 2; i++) await net.connect('::1', v6Port);
    } catch {
      v6Port = 0; // IPv6 disabled on this host
    }
    // Wait until the kernel has settled every state the test expects, then sandwich our walk.
    await eventually(async () => {
      const ss = ssSockets();
      const ok = ssPortStates(ss, halfOpenPort, 'server')[STATE_CODE.close_wait] === 2 &&
        ssPortStates(ss, closingPort, 'client')[STATE_CODE.time_wait] === 2;
      return ok ? true : undefined;
    }, 10_000, 'CLOSE_WAIT and TIME_WAIT to settle');
    before = ssSockets();
    const pinned = [halfOpenPort, closingPort, queuePort, ...(v6Port ? [v6Port] : [])];
    snapshot = await livePoller({ maxServerPorts: 5, topClientPorts: 5, pinnedPorts: pinned }).collectOnce();
    after = ssSockets();
  });

  afterAll(() => net.close());

  const portStates = (role: 'server' | 'client', port: number): number[] => {
    const list = role === 'server' ? snapshot.data.sockets!.summary.serverPorts : snapshot.data.sockets!.summary.clientPorts;
    return [...list.find((p) => p.port === String(port))!.states];
  };

  it('the socket table did not change while we collected', () => {
    const key = (s: SsSocket[]) => [halfOpenPort, closingPort, queuePort, v6Port].map((p) => [ssPortStates(s, p, 'server'), ssPortStates(s, p, 'client')]);
    expect(key(after)).toEqual(key(before));
  });

  it('drives the server port into listen, established and close_wait, as ss sees it', () => {
    expect(byName(ssPortStates(before, halfOpenPort, 'server'))).toEqual({ listen: 1, established: 3, close_wait: 2 });
    expect(byName(portStates('server', halfOpenPort))).toEqual(byName(ssPortStates(before, halfOpenPort, 'server')));
  });

  it('counts the clients of that port (established, fin_wait2) by remote port, as ss sees them', () => {
    expect(byName(ssPortStates(before, halfOpenPort, 'client'))).toEqual({ established: 3, fin_wait2: 2 });
    expect(byName(portStates('client', halfOpenPort))).toEqual(byName(ssPortStates(before, halfOpenPort, 'client')));
  });

  it('puts the active closer in time_wait, as ss sees it', () => {
    expect(byName(ssPortStates(before, closingPort, 'client'))).toEqual({ time_wait: 2 });
    expect(byName(portStates('client', closingPort))).toEqual(byName(ssPortStates(before, closingPort, 'client')));
    expect(byName(portStates('server', closingPort))).toEqual(byName(ssPortStates(before, closingPort, 'server')));
  });

  it('reports the accept queue of a listener that does not accept, as ss Recv-Q', () => {
    const ssQueue = before.find((s) => s.state === 'listen' && s.localPort === queuePort)!.recvQ;
    expect(ssQueue).toBe(3);
    const q = snapshot.data.sockets!.summary.listenQueues.find((l) => l.port === String(queuePort))!;
    expect(q.acceptQueue).toBe(ssQueue);
    expect(q.listeners).toBe(1);
  });

  it('reports each listener\'s configured backlog (via netlink), as ss Send-Q', () => {
    expect(snapshot.data.sockets!.backlogSource).toBe('netlink');
    for (const port of [queuePort, halfOpenPort]) {
      const ssBacklog = before.filter((s) => s.state === 'listen' && s.localPort === port).reduce((a, s) => a + s.sendQ, 0);
      const q = snapshot.data.sockets!.summary.listenQueues.find((l) => l.port === String(port))!;
      expect(q.backlog).toBe(ssBacklog);
    }
    const queue = snapshot.data.sockets!.summary.listenQueues.find((l) => l.port === String(queuePort))!;
    expect(queue.backlog).toBe(8);
    // 3 waiting of the backlog + 1 = 9 the kernel queues before it drops.
    expect(queue.maxFillRatio).toBeCloseTo(3 / 9);
  });

  it('counts keepalive-armed established connections on the server port, as ss timers show', () => {
    const ssArmed = before.filter((s) => s.localPort === halfOpenPort && s.state === 'established' && s.keepalive).length;
    expect(ssArmed).toBe(1);
    const ka = snapshot.data.sockets!.summary.keepaliveByServerPort.find((p) => p.port === String(halfOpenPort))!;
    expect(ka.armed).toBe(ssArmed);
    expect(ka.armed + ka.notArmed + ka.unknown).toBe(3);
  });

  it('sees IPv6 loopback connections in the ipv6 family', () => {
    if (v6Port === 0) return;
    expect(byName(portStates('server', v6Port))).toEqual(byName(ssPortStates(before, v6Port, 'server')));
    // A TIME_WAIT left on this port number by an earlier connection of this host may be there too.
    expect(byName(portStates('server', v6Port))).toMatchObject({ listen: 1, established: 2 });
    expect(snapshot.data.sockets!.summary.byFamily.ipv6[STATE_CODE.listen]).toBeGreaterThanOrEqual(1);
  });
});
