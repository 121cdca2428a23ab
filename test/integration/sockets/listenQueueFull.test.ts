import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canCreateNetns, Netns } from '../../../bench/netns.js';
import { startExporterIn, type NetnsExporter } from '../../helpers/netnsExporter.js';
import { parseSs } from '../../helpers/ss.js';

/**
 * Listeners with listen(0) and listen(2) that never accept, filled one connect() at a time until
 * the kernel stops answering (a SYN to a full accept queue is dropped, so connect() times out).
 */
const FILL = `
import json, socket, time
held, connected = [], {}
for port, backlog in ((8090, 0), (8092, 2)):
    l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind(("127.0.0.1", port)); l.listen(backlog); held.append(l)
    n = 0
    while n < backlog + 10:
        c = socket.socket(); c.settimeout(0.5)
        try:
            c.connect(("127.0.0.1", port))
        except socket.timeout:
            c.close(); break
        held.append(c); n += 1
    connected[port] = n
print(json.dumps({"ready": True, "connected": connected}), flush=True)
while True: time.sleep(3600)
`;

describe.runIf(canCreateNetns())('accept queues filled until the kernel drops', () => {
  let ns: Netns;
  let connected: Record<string, number>;
  const exporters: Array<[string, NetnsExporter]> = [];
  beforeAll(async () => {
    ns = new Netns('tcpstate-listenq');
    const { line } = await ns.startUntil('python3', ['-c', FILL], /"ready": true/);
    connected = (JSON.parse(line) as { connected: Record<string, number> }).connected;
    // The same listeners through both kernel sources: procfs has the backlog joined by inode.
    exporters.push(['netlink', await startExporterIn(ns, 19816, ['--collector.source=netlink'])]);
    exporters.push(['procfs', await startExporterIn(ns, 19817, ['--collector.source=procfs'])]);
  }, 60_000);
  afterAll(() => ns?.destroy());

  it('the kernel queued backlog + 1 connections, as ss -ltn shows (Recv-Q = Send-Q + 1)', () => {
    expect(connected).toEqual({ '8090': 1, '8092': 3 });
    const listeners = parseSs(ns.run('ss', ['-ltnH']).stdout);
    const q = (port: number) => listeners.find((s) => s.localPort === port)!;
    expect([q(8090).recvQ, q(8090).sendQ]).toEqual([1, 0]);
    expect([q(8092).recvQ, q(8092).sendQ]).toEqual([3, 2]);
  });

  for (const source of ['netlink', 'procfs']) {
    it(`${source}: a full queue reads exactly 1, listen(0) included`, () => {
      const m = exporters.find(([s]) => s === source)![1].samples();
      expect(m.get(`tcpstate_socket_source_info{source="${source}"}`)).toBe(1);
      for (const [port, backlog] of [[8090, 0], [8092, 2]] as const) {
        expect(m.get(`tcpstate_listen_queue_length{port="${port}"}`)).toBe(backlog + 1);
        expect(m.get(`tcpstate_listen_queue_backlog{port="${port}"}`)).toBe(backlog);
        expect(m.get(`tcpstate_listen_queue_max_fill_ratio{port="${port}"}`)).toBe(1);
      }
    });
  }
});
