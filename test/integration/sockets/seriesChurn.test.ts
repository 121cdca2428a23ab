import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canCreateNetns, Netns } from '../../../bench/netns.js';
import { TCP_STATES } from '../../../src/model/tcpState.js';
import { startExporterIn, type NetnsExporter } from '../../helpers/netnsExporter.js';
import { ScriptDriver } from '../../helpers/scriptDriver.js';

/**
 * 40 short-lived listeners on kernel-chosen ports, about 0.6 s each and a few at a time, each with
 * three connections (one left half-closed: CLOSE_WAIT and FIN_WAIT2 while it lives). Everything
 * closes with RST (SO_LINGER 0), so no TIME_WAIT outlives its listener. `run` replies with the
 * ports once the last listener is gone.
 */
const CHURN = `
import json, socket, struct, sys, time
RST = struct.pack("ii", 1, 0)
def close(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, RST); s.close()
for line in sys.stdin:
    live, ports = [], []
    for i in range(40):
        # The kernel may hand back a port a closed listener of this run had: hold such a
        # listener until it picks another, so the 40 ports are distinct.
        spare = []
        while True:
            l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(16)
            port = l.getsockname()[1]
            if port not in ports: break
            spare.append(l)
        for s in spare: close(s)
        ports.append(port)
        socks = [l]
        for j in range(3):
            c = socket.create_connection(("127.0.0.1", port)); a = l.accept()[0]
            if j == 2: c.shutdown(socket.SHUT_WR)
            socks += [c, a]
        live.append((time.time(), socks))
        time.sleep(0.15)
        while live and time.time() - live[0][0] > 0.6:
            for s in live.pop(0)[1]: close(s)
    for _, socks in live:
        for s in socks: close(s)
    print(json.dumps({"ports": ports}), flush=True)
`;

const PORT_FAMILIES = ['tcpstate_port_sockets', 'tcpstate_listen_queue_length', 'tcpstate_listen_queue_backlog', 'tcpstate_listen_queue_max_fill_ratio', 'tcpstate_listeners', 'tcpstate_port_established_keepalive_sockets'];

/** The port label values of every per-port family in one scrape. */
function portValues(m: Map<string, number>): Set<string> {
  const out = new Set<string>();
  for (const key of m.keys()) {
    const name = key.slice(0, key.indexOf('{'));
    if (!PORT_FAMILIES.includes(name)) continue;
    const port = /[{,]port="([^"]*)"/.exec(key)?.[1];
    if (port !== undefined) out.add(port);
  }
  return out;
}

/** Per state, sockets over every port of both roles minus sockets over both families: 0 when counts are exact. */
function countErrors(m: Map<string, number>): Record<string, number> {
  const errors: Record<string, number> = {};
  for (const state of TCP_STATES) {
    let ports = 0;
    for (const [k, v] of m) if (k.startsWith('tcpstate_port_sockets{') && k.endsWith(`,state="${state}"}`)) ports += v;
    const total = (m.get(`tcpstate_sockets{family="ipv4",state="${state}"}`) ?? NaN) + (m.get(`tcpstate_sockets{family="ipv6",state="${state}"}`) ?? NaN);
    if (ports !== total) errors[state] = ports - total;
  }
  let listeners = 0;
  for (const [k, v] of m) if (k.startsWith('tcpstate_listeners{')) listeners += v;
  if (listeners !== m.get('tcpstate_sockets{family="ipv4",state="listen"}')! + m.get('tcpstate_sockets{family="ipv6",state="listen"}')!) errors['listeners'] = listeners;
  return errors;
}

describe.runIf(canCreateNetns())('series churn: 40 short-lived listeners on kernel-chosen ports', () => {
  let ns: Netns;
  const runs: Record<'folded' | 'byNumber', { values: Set<string>; errors: Array<Record<string, number>>; bucketListeners: number }> = {
    folded: { values: new Set(), errors: [], bucketListeners: 0 },
    byNumber: { values: new Set(), errors: [], bucketListeners: 0 },
  };
  let ports: number[] = [];

  beforeAll(async () => {
    ns = new Netns('tcpstate-churn');
    const pins = '--collector.ports.pin=19816,19817';
    const exporters: Record<'folded' | 'byNumber', NetnsExporter> = {
      folded: await startExporterIn(ns, 19816, ['--collector.interval=200ms', pins]),
      // Ports by number: only the admission hysteresis keeps these listeners out.
      byNumber: await startExporterIn(ns, 19817, ['--collector.interval=200ms', pins, '--collector.ports.ephemeral-by-number', '--collector.series.admit-cycles=10']),
    };
    const churn = ScriptDriver.start(ns, CHURN);
    let done = false;
    const finished = churn.send('run').then((r) => {
      ports = r['ports'] as number[];
      done = true;
    });
    const bucket = { folded: 'ephemeral', byNumber: 'other' } as const;
    // Scrape both exporters over the whole run, and a little after. A scrape blocks (spawnSync):
    // the event loop gets a turn after each round, so the reply that ends the run is seen.
    for (let after = 0, round = 0; after < 6 && round < 1000; after += done ? 1 : 0, round++) {
      await new Promise((r) => setTimeout(r, 0));
      for (const name of ['folded', 'byNumber'] as const) {
        const m = exporters[name].samples();
        const r = runs[name];
        for (const v of portValues(m)) r.values.add(v);
        const e = countErrors(m);
        if (Object.keys(e).length > 0) r.errors.push(e);
        r.bucketListeners = Math.max(r.bucketListeners, m.get(`tcpstate_listeners{port="${bucket[name]}"}`) ?? 0);
      }
    }
    await finished;
  }, 120_000);

  afterAll(() => ns?.destroy());

  it('ran 40 listeners on distinct kernel-chosen ports inside the range, and both exporters saw them', () => {
    expect(new Set(ports).size).toBe(40);
    expect(ports.every((p) => p >= 32768 && p <= 60999)).toBe(true);
    expect(runs.folded.bucketListeners).toBeGreaterThanOrEqual(1);
    expect(runs.byNumber.bucketListeners).toBeGreaterThanOrEqual(1);
  });

  it('by default folds them into port="ephemeral": at most a dozen port values over the run', () => {
    expect(runs.folded.values.size).toBeLessThanOrEqual(12);
    expect(runs.folded.values).toContain('ephemeral');
    expect(ports.filter((p) => runs.folded.values.has(String(p)))).toEqual([]);
  });

  it('by number, gives none of them a series: each lives fewer cycles than admission takes', () => {
    expect(runs.byNumber.values.size).toBeLessThanOrEqual(12);
    expect(runs.byNumber.values).not.toContain('ephemeral');
    expect(ports.filter((p) => runs.byNumber.values.has(String(p)))).toEqual([]);
  });

  it('keeps every count exact: the ports of both roles add up to the per-state totals in every scrape', () => {
    expect(runs.folded.errors).toEqual([]);
    expect(runs.byNumber.errors).toEqual([]);
  });
});
