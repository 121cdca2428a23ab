import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PORT_LIMITS } from '../../../src/aggregate/socketSummary.js';
import { SocketAggregator } from '../../../src/aggregate/socketAggregator.js';
import { statesByName } from '../../../src/model/tcpState.js';
import { queryListenerBacklogs } from '../../../src/sources/netlink/listenerBacklogs.js';
import { NetlinkSocketSource } from '../../../src/sources/netlinkSocketSource.js';
import { ProcfsSocketSource } from '../../../src/sources/procfsSocketSource.js';
import type { SocketSource } from '../../../src/sources/socketSource.js';
import { LoopbackSockets } from '../../helpers/loopbackSockets.js';
import { ssPortStates, ssSockets } from '../../helpers/ss.js';
import { haveTool } from '../../helpers/tools.js';

const byName = (counts: readonly number[]): Record<string, number> =>
  Object.fromEntries(Object.entries(statesByName(counts)).filter(([, n]) => n !== 0));

/**
 * A socket is a server socket when its local port has a listener, in either family. The kernel
 * lists IPv4 sockets before IPv6 ones, so an IPv4 socket on a port that only an IPv6 listener
 * holds is classified right only if every listener is known first. Here: a listener on [::1]:P
 * and an IPv4 connection from 127.0.0.1:P, which both sources and ss must count on server port P.
 */
describe.runIf(process.platform === 'linux' && haveTool('ss'))('listeners of the other family', () => {
  const net = new LoopbackSockets();
  let v6Port = 0;
  let v4Port = 0;
  beforeAll(async () => {
    try {
      await net.listen('::1');
    } catch {
      return; // IPv6 disabled on this host
    }
    v4Port = await net.listen('127.0.0.1');
    // The port free on ::1 may be taken on 127.0.0.1 by another socket of a busy host: then another.
    for (let attempt = 1; ; attempt++) {
      v6Port = await net.listen('::1');
      try {
        await net.connect('127.0.0.1', v4Port, v6Port);
        break;
      } catch (err) {
        if ((err as { code?: string }).code !== 'EADDRINUSE' || attempt === 20) throw err;
      }
    }
  });
  afterAll(() => net.close());

  const sources: Array<[string, () => SocketSource]> = [
    ['netlink', () => new NetlinkSocketSource()],
    ['procfs', () => new ProcfsSocketSource('/proc', () => queryListenerBacklogs())],
  ];
  for (const [name, source] of sources) {
    it(`${name}: counts an IPv4 socket on an IPv6 listener's port as that port's server socket, as ss does`, async () => {
      if (v6Port === 0) return;
      const aggregator = new SocketAggregator({ ...DEFAULT_PORT_LIMITS, pinnedPorts: [v6Port, v4Port] });
      await source().walk(aggregator);
      const summary = aggregator.summarize();
      const server = (port: number) => byName(summary.serverPorts.find((p) => p.port === String(port))!.states);
      const client = (port: number) => byName(summary.clientPorts.find((p) => p.port === String(port))!.states);
      expect(server(v6Port)).toEqual({ listen: 1, established: 1 });
      expect(server(v6Port)).toEqual(byName(ssPortStates(ssSockets(), v6Port, 'server')));
      // Its peer is the accepted socket on the IPv4 listener; neither end is a client of v4Port.
      expect(server(v4Port)).toEqual({ listen: 1, established: 1 });
      expect(client(v4Port)).toEqual({});
    });
  }
});
