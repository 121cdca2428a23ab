import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startExporter, type RunningExporter } from '../helpers/exporterProcess.js';
import { asQuery, dashboardTargets, type DashboardFile } from '../helpers/dashboards.js';
import { LoopbackSockets } from '../helpers/loopbackSockets.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { startPrometheus, type PrometheusServer } from '../helpers/prometheusServer.js';
import { haveTool } from '../helpers/tools.js';

const PROM = join(REPO_ROOT, 'deploy', 'prometheus');
const RULE_FILES = [join(PROM, 'tcpstate-alerts.yml'), join(PROM, 'tcpstate-recording.yml')];
const dashboard = JSON.parse(readFileSync(join(REPO_ROOT, 'deploy', 'grafana', 'tcpstate-overview.json'), 'utf8')) as DashboardFile;
const ruleExprs = RULE_FILES.flatMap((f) =>
  (parse(readFileSync(f, 'utf8')) as { groups: Array<{ rules: Array<{ alert?: string; record?: string; expr: string }> }> }).groups.flatMap((g) => g.rules.map((r) => ({ name: r.alert ?? r.record!, expr: r.expr }))),
);

/**
 * The whole kit against a real Prometheus that scrapes the exporter while this test holds sockets
 * in several states, with the rule files loaded: every rule expression and every panel query must
 * parse and evaluate, and the panels must return data.
 */
describe.runIf(process.platform === 'linux' && haveTool('prometheus'))('dashboards and rules against a real Prometheus', () => {
  const net = new LoopbackSockets();
  let exporter: RunningExporter;
  let prometheus: PrometheusServer;

  beforeAll(async () => {
    const port = await net.listen('127.0.0.1', { allowHalfOpen: true });
    for (let i = 0; i < 3; i++) await net.halfClose(await net.connect('127.0.0.1', port)); // CLOSE_WAIT + FIN_WAIT2
    for (let i = 0; i < 2; i++) await net.connect('127.0.0.1', port); // ESTABLISHED
    // 1 MiB the server side never reads: bytes wait in its receive queue and the sender's send queue.
    (await net.connect('127.0.0.1', port)).write(Buffer.alloc(1 << 20));
    await net.activeClose(await net.connect('127.0.0.1', await net.listen('127.0.0.1'))); // TIME_WAIT
    // The opt-in collectors too, so their panels have data (as root they see every process).
    exporter = await startExporter(['--collector.interval=500ms', `--collector.ports.pin=${port}`, '--collector.processes', '--collector.processes.interval=1s', '--collector.netns', '--collector.netns.ports']);
    prometheus = await startPrometheus(new URL(exporter.url).host, `rule_files:\n${RULE_FILES.map((f) => `  - ${f}\n`).join('')}`);
    // Recording rules have run and rates have two samples.
    await eventually(async () => ((await prometheus.query('instance:tcpstate_tcp_retransmit:ratio_rate5m')).length > 0 ? true : undefined), 45_000, 'recording rules evaluated');
    await new Promise((r) => setTimeout(r, 3000));
  }, 90_000);

  afterAll(async () => {
    await prometheus?.stop();
    await exporter?.stop();
    await net.close();
  });

  it('loads every rule and reports no rule evaluation error', async () => {
    const res = (await (await fetch(`${prometheus.url}/api/v1/rules`)).json()) as { data: { groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string }> }> } };
    const rules = res.data.groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.name).sort()).toEqual(ruleExprs.map((r) => r.name).sort());
    expect(rules.filter((r) => r.health !== 'ok')).toEqual([]);
  });

  it.each(ruleExprs.map((r) => [r.name, r.expr] as const))('rule %s evaluates', async (_name, expr) => {
    await expect(prometheus.query(expr)).resolves.toBeInstanceOf(Array);
  });

  const panels = [...new Set(dashboardTargets(dashboard).map((t) => t.panel))];
  it.each(panels.map((p) => [p] as const))('panel "%s": every query evaluates and the panel has data', async (panel) => {
    const results = await Promise.all(dashboardTargets(dashboard).filter((t) => t.panel === panel).map((t) => prometheus.query(asQuery(t.expr))));
    expect(results.some((r) => r.length > 0)).toBe(true);
  });

  it('shows the states this test holds', async () => {
    const q = async (expr: string) => Number((await prometheus.query(asQuery(expr)))[0]?.value[1] ?? NaN);
    expect(await q('sum(instance_state:tcpstate_sockets:sum{job=~"$job", instance=~"$instance", state="close_wait"})')).toBeGreaterThanOrEqual(3);
    expect(await q('sum(instance_state:tcpstate_sockets:sum{job=~"$job", instance=~"$instance", state="time_wait"})')).toBeGreaterThanOrEqual(1);
  });
});
