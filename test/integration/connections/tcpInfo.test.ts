import { spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canCreateNetns, Netns } from '../../../bench/netns.js';
import { RTT_BUCKETS_US } from '../../../src/aggregate/tcpInfoAggregator.js';
import { eventually } from '../../helpers/exporterProcess.js';
import { startExporterIn, type NetnsExporter } from '../../helpers/netnsExporter.js';
import { CLI, REPO_ROOT } from '../../helpers/paths.js';
import { canDropPrivileges } from '../../helpers/privileges.js';
import { haveTool } from '../../helpers/tools.js';

const EXCHANGE = join(REPO_ROOT, 'test', 'helpers', 'tcp_exchange.py');
const PORT = 7100;
const HELD = 20;
const TABLE = 'tcpstate_test';

type Samples = Map<string, number>;
const series = (m: Samples, name: string, role: string, extra = ''): number => m.get(`tcpstate_${name}{role="${role}",port="${PORT}"${extra}}`) ?? NaN;

describe.runIf(canCreateNetns())(`tcp_info of ${HELD} held connections (--collector.tcpinfo${canDropPrivileges ? ', exporter as nobody' : ''})`, () => {
  let ns: Netns;
  let exporter: NetnsExporter;
  let holder: ChildProcess;
  let holderLines: string[];
  const command = async (line: string, answer?: RegExp): Promise<void> => {
    holder.stdin!.write(`${line}\n`);
    if (answer) await eventually(async () => (holderLines.some((l) => answer.test(l)) ? true : undefined), 30_000, `the connections to answer "${line}"`);
  };

  beforeAll(async () => {
    ns = new Netns('tcpstate-tcpinfo');
    ({ child: holder } = await ns.startUntil('python3', [EXCHANGE, 'hold', String(HELD), String(PORT)], /"ready": true/));
    holderLines = [];
    createInterface({ input: holder.stdout! }).on('line', (l) => holderLines.push(l));
    exporter = await startExporterIn(ns, 19816, ['--collector.tcpinfo', '--collector.connections', '--collector.interval=200ms', '--collector.series.admit-cycles=0', `--collector.ports.pin=${PORT}`], { asNobody: canDropPrivileges });
  }, 60_000);
  afterAll(() => ns?.destroy());

  it('counts every held connection once per side in the RTT histogram, loopback-fast', () => {
    const m = exporter.samples();
    expect(m.get('tcpstate_collector_success{collector="tcpinfo"}')).toBe(1);
    for (const role of ['server', 'client']) {
      expect(series(m, 'port_rtt_seconds_count', role)).toBe(HELD);
      expect(series(m, 'port_rtt_seconds_bucket', role, ',le="+Inf"')).toBe(HELD);
      const buckets = RTT_BUCKETS_US.map((us) => series(m, 'port_rtt_seconds_bucket', role, `,le="${us / 1e6}"`));
      expect(buckets).toEqual([...buckets].sort((a, b) => a - b));
      // Loopback: well under 100 ms even on a loaded machine.
      expect(series(m, 'port_rtt_seconds_bucket', role, ',le="0.1"')).toBe(HELD);
      expect(series(m, 'port_rtt_seconds_sum', role)).toBeGreaterThan(0);
      expect(series(m, 'port_rtt_seconds_sum', role)).toBeLessThan(HELD * 0.1);
      expect(series(m, 'port_retransmitting_sockets', role)).toBe(0);
    }
  });

  it('passes promtool check metrics with the histogram', () => {
    if (!haveTool('promtool')) return;
    const r = spawnSync('promtool', ['check', 'metrics'], { input: exporter.get('/metrics').body, encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
  });

  it('shows the same in the one-shot snapshot, as a table and as JSON', () => {
    const table = ns.run(CLI, ['snapshot', '--collector.tcpinfo']).stdout;
    expect(table).toContain('TCP_INFO of ESTABLISHED sockets');
    for (const role of ['server', 'client']) expect(table).toMatch(new RegExp(`^${role}\\s+${PORT}\\s+${HELD}\\s+\\d+\\.\\d+ ms\\s+≤ [\\d.]+ ms\\s+≤ [\\d.]+ ms\\s+0$`, 'm'));
    const json = JSON.parse(ns.run(CLI, ['snapshot', '--collector.tcpinfo', '--format=json']).stdout) as {
      data: { tcpinfo: { serverPorts: Array<{ port: string; rttCount: number; rttBuckets: Array<{ le: string; count: number }> }> } };
    };
    const server = json.data.tcpinfo.serverPorts.find((p) => p.port === String(PORT))!;
    expect(server.rttCount).toBe(HELD);
    expect(server.rttBuckets.map((b) => b.le)).toEqual([...RTT_BUCKETS_US.map((us) => String(us / 1e6)), '+Inf']);
    expect(server.rttBuckets.at(-1)!.count).toBe(HELD);
  });

  it('says on the landing page what both collectors see', () => {
    const page = exporter.get('/').body;
    expect(page).toMatch(/<li>tcpinfo: \d+ ESTABLISHED sockets with an RTT sample, 0 retransmitting<\/li>/);
    expect(page).toMatch(/<li>connections: \d+ closed connections counted since start/);
  });

  describe.runIf(haveTool('nft'))('the server end black-holed (an nft rule drops its packets)', () => {
    afterAll(() => {
      ns.exec('nft', ['delete', 'table', 'inet', TABLE]);
    });

    it('counts the clients with data in flight as retransmitting, for that port, then back to none once the path heals', async () => {
      ns.run('nft', ['add', 'table', 'inet', TABLE]);
      ns.run('nft', ['add', 'chain', 'inet', TABLE, 'out', '{ type filter hook output priority 0 ; }']);
      ns.run('nft', ['add', 'rule', 'inet', TABLE, 'out', 'tcp', 'sport', String(PORT), 'drop']);
      await command('send', /"sent": true/);
      const during = await eventually(async () => {
        const m = exporter.samples();
        return series(m, 'port_retransmitting_sockets', 'client') === HELD ? m : undefined;
      }, 20_000, `${HELD} client sockets retransmitting`);
      // The accepted ends have nothing to send: only their ACKs are lost.
      expect(series(during, 'port_retransmitting_sockets', 'server')).toBe(0);
      ns.run('nft', ['delete', 'table', 'inet', TABLE]);
      await eventually(async () => (series(exporter.samples(), 'port_retransmitting_sockets', 'client') === 0 ? true : undefined), 30_000, 'the retransmissions to be acknowledged');
    }, 60_000);

    it('counts those retransmissions in the closed connections of that port', async () => {
      await command('close', /"done": true/);
      const m = await eventually(async () => {
        const s = exporter.samples();
        return s.get(`tcpstate_port_closed_connections_total{role="client",port="${PORT}"}`) === HELD ? s : undefined;
      }, 30_000, `${HELD} closed client connections`);
      expect(m.get(`tcpstate_port_closed_connection_retransmitted_segments_total{role="client",port="${PORT}"}`)).toBeGreaterThanOrEqual(HELD);
      expect(m.get(`tcpstate_port_closed_connection_bytes_total{role="client",port="${PORT}",direction="sent"}`)).toBe(HELD * 1000);
    }, 60_000);
  });
});
