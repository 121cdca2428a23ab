import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canCreateNetns, Netns } from '../../../bench/netns.js';
import { DEFAULT_PORT_LIMITS } from '../../../src/aggregate/socketSummary.js';
import { SocketAggregator } from '../../../src/aggregate/socketAggregator.js';
import { statesByName } from '../../../src/model/tcpState.js';
import { openSockDiagIn } from '../../../src/sources/netlink/libcNetlink.js';
import { queryListenerBacklogs } from '../../../src/sources/netlink/listenerBacklogs.js';
import { NetlinkSocketSource } from '../../../src/sources/netlinkSocketSource.js';
import { ProcfsSocketSource } from '../../../src/sources/procfsSocketSource.js';
import type { SocketSource } from '../../../src/sources/socketSource.js';
import { parseSs, ssPortStates } from '../../helpers/ss.js';
import { haveTool } from '../../helpers/tools.js';

const byName = (counts: readonly number[]): Record<string, number> =>
  Object.fromEntries(Object.entries(statesByName(counts)).filter(([, n]) => n !== 0));

/**
 * Service ports of our choosing, both below the ephemeral range: an IPv4 socket from
 * 127.0.0.1:V6_PORT to 127.0.0.1:V4_PORT that is taken for a client (its local port's listener
 * not yet known) then falls to rule 4 of SocketRoles (its remote port has a listener) and is
 * counted as a client of V4_PORT, which is what the test looks for.
 */
const V6_PORT = 4431;
const V4_PORT = 8081;

/**
 * Run by node inside the namespace: a listener on [::1]:V6_PORT, one on 127.0.0.1:V4_PORT, and an
 * IPv4 connection from 127.0.0.1:V6_PORT to the second; prints "ready" once connected, or
 * "no-ipv6" when the namespace has no ::1. Then holds everything until killed.
 */
const HOLD_SOCKETS = `const net = require('node:net');
const [v6, v4] = process.argv.slice(1).map(Number);
const held = [];
const listen = (host, port) => new Promise((resolve, reject) => {
  const server = net.createServer((s) => held.push(s)).once('error', reject).listen(port, host, resolve);
  held.push(server);
});
listen('::1', v6).then(
  async () => {
    await listen('127.0.0.1', v4);
    held.push(net.connect({ host: '127.0.0.1', port: v4, localAddress: '127.0.0.1', localPort: v6 }, () => console.log('ready')));
  },
  (err) => {
    if (err.code !== 'EADDRNOTAVAIL') throw err;
    console.log('no-ipv6');
    setInterval(() => undefined, 60_000);
  },
);`;

/**
 * A socket is a server socket when its local port has a listener, in either family. The kernel
 * lists IPv4 sockets before IPv6 ones, so an IPv4 socket on a port that only an IPv6 listener
 * holds is classified right only if every listener is known first. Here: a listener on [::1]:P
 * and an IPv4 connection from 127.0.0.1:P, which both sources and ss must count on server port P.
 *
 * Why a network namespace of the test's own: in the host's, other test files running in
 * parallel leave TIME_WAIT sockets behind, and those from connections to an earlier server that
 * had the same port number are clients of that port too ({time_wait: 3} was once seen as
 * client(v4Port) in CI). Here the only sockets are the four this test makes, so every count is
 * exact, including the whole table's.
 */
describe.runIf(canCreateNetns() && haveTool('ss'))('listeners of the other family', () => {
  let ns: Netns | undefined;
  let holder = 0;
  let ipv6 = true;
  beforeAll(async () => {
    ns = new Netns('tcpstate-crossfamily');
    const { child, line } = await ns.startUntil(process.execPath, ['-e', HOLD_SOCKETS, String(V6_PORT), String(V4_PORT)], /^(ready|no-ipv6)$/);
    holder = child.pid!;
    ipv6 = line === 'ready';
  });
  afterAll(() => ns?.destroy());

  // Both read the namespace through the holder's process, as the netns collector does.
  const nsFile = (): string => `/proc/${holder}/ns/net`;
  const sources: Array<[string, () => SocketSource]> = [
    ['netlink', () => new NetlinkSocketSource(() => openSockDiagIn(nsFile()))],
    ['procfs', () => new ProcfsSocketSource(`/proc/${holder}`, () => queryListenerBacklogs(() => openSockDiagIn(nsFile())))],
  ];
  for (const [name, source] of sources) {
    it(`${name}: counts an IPv4 socket on an IPv6 listener's port as that port's server socket, as ss does`, async (t) => {
      if (!ipv6) t.skip();
      const aggregator = new SocketAggregator({ ...DEFAULT_PORT_LIMITS, pinnedPorts: [V6_PORT, V4_PORT] });
      aggregator.reset();
      await source().walk(aggregator);
      const summary = aggregator.summarize();
      const ss = parseSs(ns!.run('ss', ['-tanoH']).stdout);
      const server = (port: number) => byName(summary.serverPorts.find((p) => p.port === String(port))!.states);
      const client = (port: number) => byName(summary.clientPorts.find((p) => p.port === String(port))!.states);
      // Nothing but the test's sockets: two listeners, the connection's two ends.
      expect(byName(summary.byFamily.ipv4)).toEqual({ listen: 1, established: 2 });
      expect(byName(summary.byFamily.ipv6)).toEqual({ listen: 1 });
      expect(server(V6_PORT)).toEqual({ listen: 1, established: 1 });
      expect(server(V6_PORT)).toEqual(byName(ssPortStates(ss, V6_PORT, 'server')));
      // Its peer is the accepted socket on the IPv4 listener; neither end is a client of V4_PORT.
      expect(server(V4_PORT)).toEqual({ listen: 1, established: 1 });
      expect(client(V4_PORT)).toEqual({});
      expect(client(V4_PORT)).toEqual(byName(ssPortStates(ss, V4_PORT, 'client')));
    });
  }
});
