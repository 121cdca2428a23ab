import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PORT_LIMITS, worstCaseKeepaliveSeries, worstCasePortSeries } from '../../../src/aggregate/socketSummary.js';
import { LISTEN } from '../../../src/model/tcpState.js';
import { DEFAULT_EPHEMERAL_OPTIONS } from '../../../src/collectors/options.js';
import { metricCatalog } from '../../../src/metrics/catalog.js';
import { buildExposition, renderedText } from '../../../src/metrics/exposition.js';
import { BUILD_INFO } from '../../../src/version.js';
import { DEFAULT_COLLECTORS, livePoller } from '../../helpers/collect.js';

/** Listeners on LISTENERS distinct ports, each with one connection from its own client port. */
const LISTENERS = 3000;
const HOLDER = `
import socket, sys
held = []
for i in range(${LISTENERS}):
    l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(8)
    c = socket.create_connection(l.getsockname())
    held += [l, c, l.accept()[0]]
print("ready", flush=True)
sys.stdin.read()
`;

/**
 * Someone opening listeners and connections on thousands of distinct ports must not grow the
 * number of series past the documented caps (docs/metrics.md#label-cardinality).
 */
describe.runIf(process.platform === 'linux')('series count under thousands of distinct ports', () => {
  let holder: ChildProcess;
  beforeAll(async () => {
    holder = spawn('python3', ['-c', HOLDER], { stdio: ['pipe', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: holder.stdout! }).once('line', () => resolve());
      holder.once('exit', (code) => reject(new Error(`holder exited with ${code}`)));
    });
  }, 60_000);
  afterAll(() => holder?.kill('SIGKILL'));

  it('stays within the caps for every per-port family', async () => {
    const poller = livePoller();
    const snapshot = await poller.collectOnce();
    const listeners = snapshot.data.sockets!.summary.byFamily.ipv4[LISTEN]!;
    expect(listeners).toBeGreaterThanOrEqual(LISTENERS);
    const text = renderedText(await buildExposition(metricCatalog(BUILD_INFO, DEFAULT_COLLECTORS), poller, { processMetrics: false }).render('prometheus'));
    const count = (name: string): number => text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `)).length;
    const serverPorts = DEFAULT_PORT_LIMITS.maxServerPorts + 1;
    expect(count('tcpstate_port_sockets')).toBeLessThanOrEqual(worstCasePortSeries(DEFAULT_PORT_LIMITS));
    for (const f of ['tcpstate_listen_queue_length', 'tcpstate_listen_queue_backlog', 'tcpstate_listen_queue_max_fill_ratio', 'tcpstate_listeners']) expect(count(f), f).toBeLessThanOrEqual(serverPorts);
    expect(count('tcpstate_port_established_keepalive_sockets')).toBeLessThanOrEqual(worstCaseKeepaliveSeries(DEFAULT_PORT_LIMITS));
    expect(count('tcpstate_ephemeral_port_destination_ports')).toBeLessThanOrEqual(2 * DEFAULT_EPHEMERAL_OPTIONS.topDestinations);
    expect(count('tcpstate_ephemeral_port_destination_usage_ratio')).toBeLessThanOrEqual(DEFAULT_EPHEMERAL_OPTIONS.topDestinations);
    expect(text).not.toMatch(/^tcpstate_port_sockets\{role="client",[^}]*state="listen"\}/m);
    // Everything together: the per-port caps plus a fixed number of per-state and scalar series.
    const series = text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
    expect(series).toBeLessThan(1500);
    // The ports beyond the caps are still counted: kernel-chosen ones under port="ephemeral", the rest under "other".
    const bucket = (port: string): number => Number(new RegExp(`^tcpstate_port_sockets\\{role="server",port="${port}",state="listen"\\} (\\d+)$`, 'm').exec(text)?.[1]);
    expect(bucket('ephemeral')).toBeGreaterThanOrEqual(LISTENERS);
    expect(bucket('other')).toBeGreaterThanOrEqual(0);
  }, 60_000);
});
