import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canCreateNetns, Netns } from '../../../bench/netns.js';
import { SocketAggregator } from '../../../src/aggregate/socketAggregator.js';
import { STATE_CODE, type TcpStateName } from '../../../src/model/tcpState.js';
import { openSockDiagIn } from '../../../src/sources/netlink/libcNetlink.js';
import { NetlinkSocketSource } from '../../../src/sources/netlinkSocketSource.js';
import { ProcfsSocketSource } from '../../../src/sources/procfsSocketSource.js';
import type { SocketSource } from '../../../src/sources/socketSource.js';
import { eventually } from '../../helpers/exporterProcess.js';
import { startExporterIn } from '../../helpers/netnsExporter.js';
import { RecordingSink, type SeenSocket } from '../../helpers/recordingSink.js';
import { haveTool } from '../../helpers/tools.js';

/**
 * Sockets in every state past a FIN, with and without unread data, on server ports 7001-7008
 * (iptables drops one direction where the state must not complete), and a SYN_SENT to 7777.
 */
const STATES = `
import json, socket, subprocess, sys, time
def drop(rule):
    subprocess.run(["iptables", "-A", "OUTPUT", "-p", "tcp"] + rule + ["-j", "DROP"], check=True)
def pair(port):
    l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind(("127.0.0.1", port)); l.listen(8)
    c = socket.create_connection(("127.0.0.1", port)); a = l.accept()[0]; l.close()
    return c, a
held = []
c, a = pair(7001); c.close(); held += [a]                          # CLOSE_WAIT, FIN unread
c, a = pair(7002); c.sendall(b"x" * 100); c.close(); held += [a]   # CLOSE_WAIT, 100 bytes + FIN unread
c, a = pair(7003); c.close(); time.sleep(0.2); assert a.recv(10) == b""; held += [a]  # CLOSE_WAIT, end of stream read
c, a = pair(7004); c.sendall(b"y" * 100); c.shutdown(socket.SHUT_WR); held += [a, c]  # CLOSE_WAIT, client FIN_WAIT2
# LAST_ACK: the peer's FIN (after 100 bytes, or alone) unread, ours never acknowledged.
for port, data in ((7005, 100), (7006, 0)):
    c, a = pair(port); c.sendall(b"z" * data); c.shutdown(socket.SHUT_WR); time.sleep(0.2)
    drop(["--sport", str(port)]); a.shutdown(socket.SHUT_WR); held += [a, c]
# CLOSING: our FIN is dropped, the peer's (after 100 bytes, or alone) arrives; the client stays in FIN_WAIT1.
for port, data in ((7007, 100), (7008, 0)):
    c, a = pair(port)
    drop(["--sport", str(port)]); a.shutdown(socket.SHUT_WR); c.sendall(b"w" * data); c.shutdown(socket.SHUT_WR); held += [a, c]
# SYN_SENT: the SYN is dropped.
drop(["--dport", "7777"])
s = socket.socket(); s.setblocking(False)
try:
    s.connect(("127.0.0.1", 7777))
except BlockingIOError:
    pass
held.append(s)
time.sleep(0.5)
print(json.dumps({"ready": True}), flush=True)
sys.stdin.read()
`;

/** What the kernel reports and what the data is, per socket: [state, local port, remote port, rx, tx, rx data, tx data]. */
const EXPECTED: Array<[TcpStateName, number, number | undefined, number, number, number, number]> = [
  ['close_wait', 7001, undefined, 1, 0, 0, 0],
  ['close_wait', 7002, undefined, 101, 0, 100, 0],
  ['close_wait', 7003, undefined, 0, 0, 0, 0],
  ['close_wait', 7004, undefined, 101, 0, 100, 0],
  ['last_ack', 7005, undefined, 101, 1, 100, 0],
  ['last_ack', 7006, undefined, 1, 1, 0, 0],
  ['closing', 7007, undefined, 101, 1, 100, 0],
  ['closing', 7008, undefined, 1, 1, 0, 0],
  ['fin_wait1', 0, 7007, 0, 101, 0, 100],
  ['fin_wait1', 0, 7008, 0, 1, 0, 0],
  ['syn_sent', 0, 7777, 0, 1, 0, 0],
];

const port = (address: string): number => Number(address.slice(address.lastIndexOf(':') + 1));

describe.runIf(canCreateNetns() && haveTool('iptables'))('queue bytes past a FIN or SYN, on real sockets, over netlink and procfs', () => {
  let ns: Netns;
  let holderPid = 0;
  const sources = (): Array<[string, SocketSource]> => [
    ['netlink', new NetlinkSocketSource(() => openSockDiagIn(`/run/netns/${ns.name}`))],
    ['procfs', new ProcfsSocketSource(`/proc/${holderPid}`)],
  ];

  beforeAll(async () => {
    ns = new Netns('tcpstate-queues');
    const { child } = await ns.startUntil('python3', ['-c', STATES], /"ready": true/);
    holderPid = child.pid!;
  }, 60_000);

  afterAll(() => ns?.destroy());

  const find = (seen: readonly SeenSocket[], state: string, local: number, remote: number | undefined) =>
    seen.filter((s) => s.state === state && (remote === undefined ? port(s.local) === local : port(s.remote) === remote));

  it('the kernel counts the unread FIN in the receive queue and the unacknowledged SYN or FIN in the send queue, in both sources', async () => {
    for (const [name, source] of sources()) {
      const sink = new RecordingSink();
      await source.walk(sink);
      for (const [state, local, remote, rx, tx] of EXPECTED) {
        const found = find(sink.seen, state, local, remote);
        expect(found, `${name} ${state} ${local || remote}`).toHaveLength(1);
        expect([found[0]!.rxQueue, found[0]!.txQueue], `${name} ${state} ${local || remote}`).toEqual([rx, tx]);
      }
      // TIME_WAIT sockets report no queues at all; FIN_WAIT2 holds no FIN of the peer yet.
      for (const s of sink.seen.filter((s) => s.state === 'time_wait' || s.state === 'fin_wait2')) expect([s.rxQueue, s.txQueue]).toEqual([0, 0]);
    }
  });

  it('reports data bytes only, per state, from either source', async () => {
    const want = (col: 5 | 6, state: TcpStateName) => EXPECTED.filter((e) => e[0] === state).reduce((a, e) => a + e[col], 0);
    for (const [name, source] of sources()) {
      const agg = new SocketAggregator({ maxServerPorts: 10, topClientPorts: 10, pinnedPorts: [] });
      agg.reset(null);
      await source.walk(agg);
      const s = agg.summarize();
      for (const state of ['close_wait', 'last_ack', 'closing', 'fin_wait1', 'syn_sent', 'time_wait', 'fin_wait2'] as const) {
        expect([s.receiveQueueBytes[STATE_CODE[state]], s.sendQueueBytes[STATE_CODE[state]]], `${name} ${state}`).toEqual([want(5, state), want(6, state)]);
      }
      expect(s.receiveQueueBytes[STATE_CODE.close_wait]).toBe(200);
      expect(s.receiveQueueBytes[STATE_CODE.last_ack]).toBe(100);
      expect(s.sendQueueBytes[STATE_CODE.fin_wait1]).toBe(100);
    }
  });

  it('serves them from the real binary: 200 unread bytes over four CLOSE_WAIT sockets, not 203', async () => {
    const exporter = await startExporterIn(ns, 19816, ['--collector.interval=300ms']);
    const m = await eventually(async () => {
      const s = exporter.samples();
      return s.get('tcpstate_sockets{family="ipv4",state="close_wait"}') !== undefined ? s : undefined;
    }, 10_000, 'a collection');
    // The exporter's own connections add no data in these states (an unread FIN is no data).
    expect(m.get('tcpstate_receive_queue_bytes{state="close_wait"}')).toBe(200);
    expect(m.get('tcpstate_receive_queue_bytes{state="last_ack"}')).toBe(100);
    expect(m.get('tcpstate_receive_queue_bytes{state="closing"}')).toBe(100);
  });
});
