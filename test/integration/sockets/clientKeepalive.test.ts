import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canCreateNetns, Netns } from '../../../bench/netns.js';
import { startExporterIn, type NetnsExporter } from '../../helpers/netnsExporter.js';
import { parseSs, type SsSocket } from '../../helpers/ss.js';

/**
 * Connection pools: to 5432, three connections with SO_KEEPALIVE and two without; to 6379, one
 * with. The accepted ends never set it.
 */
const POOLS = `
import json, socket, time
held = []
for port, with_ka, without in ((5432, 3, 2), (6379, 1, 0)):
    l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind(("127.0.0.1", port)); l.listen(16); held.append(l)
    for i in range(with_ka + without):
        c = socket.socket()
        if i < with_ka:
            c.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        c.connect(("127.0.0.1", port)); held += [c, l.accept()[0]]
print(json.dumps({"ready": True}), flush=True)
while True: time.sleep(3600)
`;

type Coverage = { armed: number; not_armed: number };

/** Keepalive coverage of ESTABLISHED sockets per client remote port, from ss, the exporter's way (no listener on the local port: client). */
function ssClientCoverage(sockets: readonly SsSocket[]): Record<string, Coverage> {
  const listening = new Set(sockets.filter((s) => s.state === 'listen').map((s) => s.localPort));
  const out: Record<string, Coverage> = {};
  for (const s of sockets) {
    if (s.state !== 'established' || listening.has(s.localPort)) continue;
    const c = (out[String(s.peerPort)] ??= { armed: 0, not_armed: 0 });
    if (s.keepalive) c.armed++;
    else c.not_armed++;
  }
  return out;
}

describe.runIf(canCreateNetns())('keepalive coverage per client remote port', () => {
  let ns: Netns;
  let exporter: NetnsExporter;
  beforeAll(async () => {
    ns = new Netns('tcpstate-clientka');
    await ns.startUntil('python3', ['-c', POOLS], /"ready": true/);
    // One client port by number: 5432 (busiest); 6379 goes to port="other", as in tcpstate_port_sockets.
    // The exporter's own port is pinned, so a scrape in flight during a collection is kept apart.
    exporter = await startExporterIn(ns, 19816, ['--collector.ports.top-client=1', '--collector.ports.pin=19816']);
  }, 60_000);
  afterAll(() => ns?.destroy());

  it('ss sees the pools as the test made them', () => {
    expect(ssClientCoverage(parseSs(ns.run('ss', ['-tanoH']).stdout))).toEqual({ '5432': { armed: 3, not_armed: 2 }, '6379': { armed: 1, not_armed: 0 } });
  });

  it('serves coverage per client remote port, with the client ports and "other" of tcpstate_port_sockets', () => {
    const m = exporter.samples();
    const ka = (role: string, port: string) =>
      Object.fromEntries(['armed', 'not_armed', 'unknown'].map((k) => [k, m.get(`tcpstate_port_established_keepalive_sockets{role="${role}",port="${port}",keepalive="${k}"}`)]));
    expect(ka('client', '5432')).toEqual({ armed: 3, not_armed: 2, unknown: 0 });
    expect(ka('client', 'other')).toEqual({ armed: 1, not_armed: 0, unknown: 0 });
    expect(m.get('tcpstate_port_sockets{role="client",port="5432",state="established"}')).toBe(5);
    expect(m.get('tcpstate_port_sockets{role="client",port="other",state="established"}')).toBe(1);
    // The accepted ends have no keepalive; they are server sockets of their listening ports.
    expect(ka('server', '5432')).toEqual({ armed: 0, not_armed: 5, unknown: 0 });
    expect(ka('server', '6379')).toEqual({ armed: 0, not_armed: 1, unknown: 0 });
    // The host-wide family stays, over both roles: 4 client ends armed; 2 client and 6 accepted ends
    // not (plus a scrape connection, if one was open during the collection).
    const scrape = (k: 'armed' | 'not_armed') => ka('server', '19816')[k]! + ka('client', '19816')[k]!;
    expect(m.get('tcpstate_established_keepalive_sockets{keepalive="armed"}')).toBe(4 + scrape('armed'));
    expect(m.get('tcpstate_established_keepalive_sockets{keepalive="not_armed"}')).toBe(8 + scrape('not_armed'));
  });

  it('serves no role="client",state="listen" series, and every other state for client ports', () => {
    const names = [...exporter.samples().keys()].filter((k) => k.startsWith('tcpstate_port_sockets{role="client"'));
    expect(names.filter((k) => k.includes('state="listen"'))).toEqual([]);
    expect(names.filter((k) => k.includes('port="5432"'))).toHaveLength(10);
    expect(names.filter((k) => k.includes('port="other"'))).toHaveLength(10);
  });
});
