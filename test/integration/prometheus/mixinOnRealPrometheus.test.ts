import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asQuery, DASHBOARD_FILES, dashboardTargets, dataPanels, readDashboard, variableQuery, type DashboardFile, type DashboardPanel } from '../../helpers/dashboards.js';
import { eventually, startExporter, type RunningExporter } from '../../helpers/exporterProcess.js';
import { LoopbackSockets } from '../../helpers/loopbackSockets.js';
import { REPO_ROOT } from '../../helpers/paths.js';
import { startPrometheus, type PrometheusServer } from '../../helpers/prometheusServer.js';
import { haveTool } from '../../helpers/tools.js';

const PROM = join(REPO_ROOT, 'deploy', 'prometheus');
const RULE_FILES = [join(PROM, 'tcpstate-alerts.yml'), join(PROM, 'tcpstate-recording.yml')];
const ruleExprs = RULE_FILES.flatMap((f) =>
  (parse(readFileSync(f, 'utf8')) as { groups: Array<{ rules: Array<{ alert?: string; record?: string; expr: string }> }> }).groups.flatMap((g) => g.rules.map((r) => ({ name: r.alert ?? r.record!, expr: r.expr }))),
);
const [overview, port] = DASHBOARD_FILES.map(readDashboard) as [DashboardFile, DashboardFile];

/** An alert that always fires for the scraped exporter, so the firing-alerts panels have a row to show. */
const PROBE_ALERT = 'TcpstateDashboardProbe';

/** Sockets on the test's port: enough that it is among the busiest ports and destinations of this host. */
const ESTABLISHED = 30;
const CLOSE_WAIT = 3;
const KEEPALIVE = 2;

/**
 * The mixin against a real Prometheus that scrapes the real exporter while this test holds
 * sockets in known states on one loopback port, with the rendered rule files loaded: every rule
 * loads and evaluates, every panel query of both dashboards evaluates as Grafana would send it
 * (overview: every variable at All; drill-down: this exporter's instance and the test's port)
 * and every panel returns data; the numbers the drill-down shows are the sockets the test holds.
 */
describe.runIf(process.platform === 'linux' && haveTool('prometheus'))('the mixin against a real Prometheus scraping the exporter', () => {
  const net = new LoopbackSockets();
  const dir = mkdtempSync(join(tmpdir(), 'tcpstate-mixin-live-'));
  let exporter: RunningExporter;
  let prometheus: PrometheusServer;
  let listenPort: number;
  let instance: string;
  let overviewVars: Record<string, string>;
  let churn: ReturnType<typeof setInterval> | undefined;
  let portVars: Record<string, string>;

  beforeAll(async () => {
    listenPort = await net.listen('127.0.0.1', { allowHalfOpen: true, keepAliveFirst: KEEPALIVE });
    for (let i = 0; i < ESTABLISHED; i++) await net.connect('127.0.0.1', listenPort);
    for (let i = 0; i < CLOSE_WAIT; i++) await net.halfClose(await net.connect('127.0.0.1', listenPort)); // CLOSE_WAIT here, FIN_WAIT2 on the client
    // 1 MiB the server side never reads: bytes wait in ESTABLISHED receive and send queues.
    (await net.connect('127.0.0.1', listenPort)).write(Buffer.alloc(1 << 20));
    await net.activeClose(await net.connect('127.0.0.1', await net.listen('127.0.0.1'))); // TIME_WAIT
    // The opt-in collectors too, so their panels have data (as root they see every process).
    exporter = await startExporter(['--collector.interval=500ms', `--collector.ports.pin=${listenPort}`, '--collector.processes', '--collector.processes.interval=1s', '--collector.netns', '--collector.netns.ports', '--collector.connections', '--collector.tcpinfo']);
    // Connections that open and close on the test's port all along, for the closed-connection
    // panels: a few bytes each way, then a reset, which destroys both sides at once (the listener
    // is half-open, so a FIN would leave its side in CLOSE_WAIT).
    churn = setInterval(() => {
      void net.connect('127.0.0.1', listenPort).then((c) => {
        c.write('ping');
        setTimeout(() => c.resetAndDestroy(), 50);
      }, () => undefined);
    }, 200);
    instance = new URL(exporter.url).host;
    const probe = join(dir, 'probe.yml');
    writeFileSync(probe, `groups:\n  - name: dashboard-probe\n    rules:\n      - alert: ${PROBE_ALERT}\n        expr: tcpstate_build_info\n        labels:\n          severity: info\n          port: "${listenPort}"\n`);
    prometheus = await startPrometheus(instance, `rule_files:\n${[...RULE_FILES, probe].map((f) => `  - ${f}\n`).join('')}`);
    overviewVars = { job: '.+', instance: '.+', port: '.+' };
    portVars = { job: '.+', instance, port: String(listenPort), role: '.+' };
    // Recording rules have run, the probe fires, the process scan is in, and rates have samples.
    await eventually(async () => ((await prometheus.query('instance:tcpstate_tcp_retransmitted_segments:ratio_rate5m')).length > 0 ? true : undefined), 45_000, 'recording rules evaluated');
    await eventually(async () => ((await prometheus.query(`ALERTS{alertname="${PROBE_ALERT}", alertstate="firing"}`)).length > 0 ? true : undefined), 30_000, 'the probe alert firing');
    await eventually(async () => ((await prometheus.query('tcpstate_process_sockets')).length > 0 ? true : undefined), 30_000, 'a process scan scraped');
    await eventually(async () => ((await prometheus.query(`increase(tcpstate_port_closed_connections_total{port="${listenPort}"}[1m]) > 0`)).length > 0 ? true : undefined), 30_000, 'closed connections on the test port counted');
    await new Promise((r) => setTimeout(r, 3000));
  }, 120_000);

  afterAll(async () => {
    clearInterval(churn);
    await prometheus?.stop();
    await exporter?.stop();
    await net.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads every rule and reports no rule evaluation error', async () => {
    const res = (await (await fetch(`${prometheus.url}/api/v1/rules`)).json()) as { data: { groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string }> }> } };
    const rules = res.data.groups.flatMap((g) => g.rules).filter((r) => r.name !== PROBE_ALERT);
    expect(rules.map((r) => r.name).sort()).toEqual(ruleExprs.map((r) => r.name).sort());
    expect(rules.filter((r) => r.health !== 'ok')).toEqual([]);
  });

  it.each(ruleExprs.map((r) => [r.name, r.expr] as const))('rule %s evaluates', async (_name, expr) => {
    await expect(prometheus.query(expr)).resolves.toBeInstanceOf(Array);
  });

  /** Every query of a panel as Grafana sends it; the results of each. */
  const run = (d: DashboardFile, panel: DashboardPanel, vars: () => Record<string, string>) =>
    Promise.all(dashboardTargets(d).filter((t) => t.panel === panel).map(({ target }) => prometheus.query(asQuery(target.expr, vars()))));
  const queryPanels = (d: DashboardFile) => dataPanels(d).filter((p) => (p.targets ?? []).length > 0).map((p) => [p.title, p] as const);

  it.each(queryPanels(overview))('overview panel "%s": every query evaluates and the panel has data', async (_t, panel) => {
    const results = await run(overview, panel, () => overviewVars);
    expect(results.some((r) => r.length > 0)).toBe(true);
  });

  it.each(queryPanels(port))('drill-down panel "%s" for this instance and port: every query evaluates and the panel has data', async (_t, panel) => {
    const results = await run(port, panel, () => portVars);
    expect(results.some((r) => r.length > 0)).toBe(true);
    // The drill-down shows this instance only.
    for (const r of results.flat()) if (r.metric['instance'] !== undefined) expect(r.metric['instance']).toBe(instance);
  });

  it.each([
    ['overview', overview, () => overviewVars],
    ['drill-down', port, () => portVars],
  ] as const)('%s: the alert annotations show the firing probe alert', async (_n, d, vars) => {
    const annotations = d.annotations.list.filter((a) => a.expr !== undefined);
    expect(annotations.length).toBeGreaterThan(0);
    for (const a of annotations) expect((await prometheus.query(asQuery(a.expr!, vars()))).map((r) => r.metric['alertname'])).toContain(PROBE_ALERT);
  });

  it('the variables offer this instance, the test port (in both roles) and its job', async () => {
    const values = async (d: DashboardFile, name: string, vars: Record<string, string>): Promise<string[]> => {
      const m = /^label_values\((.*), (\w+)\)$/.exec(variableQuery(d.templating.list.find((v) => v.name === name)!));
      expect(m, name).not.toBeNull();
      const res = (await (await fetch(`${prometheus.url}/api/v1/label/${m![2]}/values?match[]=${encodeURIComponent(asQuery(m![1]!, vars))}`)).json()) as { data: string[] };
      return res.data;
    };
    expect(await values(overview, 'job', overviewVars)).toContain('tcpstate');
    expect(await values(overview, 'instance', overviewVars)).toContain(instance);
    expect(await values(overview, 'port', overviewVars)).toContain(String(listenPort));
    expect(await values(port, 'port', portVars)).toContain(String(listenPort));
    expect((await values(port, 'role', portVars)).sort()).toEqual(['client', 'server']);
  });

  /** The latest values of one panel query: its labels, and the value as `value`. */
  const panelValues = async (d: DashboardFile, title: string, vars: Record<string, string>, refId = 'A'): Promise<Array<Record<string, string | number>>> => {
    const t = dashboardTargets(d).find((x) => x.panel.title === title && x.target.refId === refId);
    expect(t, `${title} ${refId}`).toBeDefined();
    return (await prometheus.query(asQuery(t!.target.expr, vars))).map((r) => ({ ...r.metric, value: Number(r.value[1]) }));
  };

  it('the drill-down counts the sockets the test holds on its port', async () => {
    // "Sockets now" has one query per state, in kernel order: CLOSE_WAIT is refId H, ESTABLISHED A.
    const closeWait = await panelValues(port, 'Sockets now', portVars, 'H');
    expect(closeWait).toContainEqual(expect.objectContaining({ role: 'server', port: String(listenPort), value: CLOSE_WAIT }));
    const established = await panelValues(port, 'Sockets now', portVars, 'A');
    // Both ends are on this host: the accepted side by local port, the connecting side by remote port.
    expect(established.find((r) => r['role'] === 'server')?.['value']).toBeGreaterThanOrEqual(ESTABLISHED + 1);
    expect(established.find((r) => r['role'] === 'client')?.['value']).toBeGreaterThanOrEqual(ESTABLISHED + 1);
    const keepalive = await panelValues(port, 'Keepalive on ESTABLISHED connections', portVars);
    expect(keepalive.find((r) => r['role'] === 'server' && r['keepalive'] === 'armed')?.['value']).toBeGreaterThanOrEqual(KEEPALIVE);
    const destinations = await panelValues(port, 'Destinations on remote port $port', portVars, 'B');
    expect(destinations).toContainEqual(expect.objectContaining({ remote_address: '127.0.0.1', remote_port: String(listenPort) }));
    expect(destinations.find((r) => r['remote_address'] === '127.0.0.1')?.['value']).toBeGreaterThanOrEqual(ESTABLISHED);
  });

  it('the overview lists the firing probe alert with its instance and port, and counts it', async () => {
    const rows = await panelValues(overview, 'Firing alerts', overviewVars);
    expect(rows).toContainEqual(expect.objectContaining({ alertname: PROBE_ALERT, instance, port: String(listenPort) }));
    const [count] = await panelValues(overview, 'Firing Tcpstate alerts', overviewVars);
    expect(count?.['value']).toBeGreaterThanOrEqual(1);
  });

  it('the overview keeps instance on the test port\'s CLOSE_WAIT and counts only ESTABLISHED queues', async () => {
    const closeWait = await panelValues(overview, 'CLOSE_WAIT per port', overviewVars);
    expect(closeWait).toContainEqual(expect.objectContaining({ instance, role: 'server', port: String(listenPort), value: CLOSE_WAIT }));
    // The 1 MiB the server side never reads waits in an ESTABLISHED receive queue.
    const [received] = await panelValues(overview, 'Queued bytes on ESTABLISHED connections', overviewVars);
    expect(received?.['value']).toBeGreaterThan(0);
  });
});
