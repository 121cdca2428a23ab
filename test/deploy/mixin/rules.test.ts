/**
 * The monitoring mixin's rules (mixin/, jsonnet) as users get them: the committed files are what
 * the mixin renders, every alert follows the hygiene rules and has promtool cases firing and not
 * firing, promtool and amtool accept the files, a real Alertmanager applies the inhibit rules,
 * and a vendoring user's _config override reaches every expression.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { evaluateMixin, INHIBIT_FILE, mixinFiles, RULE_FILES, type MixinOutput } from '../../../scripts/mixinFiles.js';
import { metricCatalog } from '../../../src/metrics/catalog.js';
import { BUILD_INFO } from '../../../src/version.js';
import { eventually } from '../../helpers/exporterProcess.js';
import { REPO_ROOT } from '../../helpers/paths.js';
import { haveTool } from '../../helpers/tools.js';

const PROM = join(REPO_ROOT, 'deploy', 'prometheus');

interface AlertRule {
  alert: string;
  expr: string;
  for: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}
interface RecordingRule {
  record: string;
  expr: string;
}
interface RuleFile<R> {
  groups: Array<{ name: string; rules: R[] }>;
}
interface UnitTests {
  rule_files: string[];
  tests: Array<{ name: string; alert_rule_test?: Array<{ alertname: string; eval_time: string; exp_alerts: unknown[] }> }>;
}
interface InhibitRule {
  source_matchers: string[];
  target_matchers: string[];
  equal: string[];
}

const readYaml = <T>(path: string): T => parse(readFileSync(join(REPO_ROOT, path), 'utf8')) as T;
const alertsOf = (file: RuleFile<AlertRule>): AlertRule[] => file.groups.flatMap((g) => g.rules);
const recordsOf = (file: RuleFile<RecordingRule>): RecordingRule[] => file.groups.flatMap((g) => g.rules);

const ALERTS = alertsOf(readYaml<RuleFile<AlertRule>>(`deploy/prometheus/${RULE_FILES.alerts}`));
const RECORDS = recordsOf(readYaml<RuleFile<RecordingRule>>(`deploy/prometheus/${RULE_FILES.recording}`));
const TESTS = readYaml<UnitTests>(`deploy/prometheus/${RULE_FILES.tests}`);
const INHIBIT = readYaml<{ inhibit_rules: InhibitRule[] }>(INHIBIT_FILE).inhibit_rules;

/** The alerts of /work's issue 12 plan, exactly: names are part of the contract with runbooks and routing. */
const PLANNED = [
  'TcpstateCloseWaitLeak',
  'TcpstatePortRetransmitRatioHigh',
  'TcpstatePeerBlackholed',
  'TcpstateListenQueueOverflow',
  'TcpstateSynFlood',
  'TcpstateEphemeralPortPressure',
  'TcpstateEphemeralPortExhaustion',
  'TcpstateConnectStalled',
  'TcpstateRetransmitRatioHigh',
  'TcpstateMemoryPressure',
  'TcpstateAbortOnMemory',
  'TcpstateOrphansNearLimit',
  'TcpstateTimeWaitOverflow',
  'TcpstateKeepaliveOff',
  'TcpstateExporterDown',
  'TcpstateExporterNoSnapshot',
  'TcpstateExporterAbsent',
  'TcpstateCollectorFailing',
  'TcpstateSnapshotStale',
];

/** Every `name{matchers}` (or bare `name`) in a PromQL expression whose name contains tcpstate_. */
function tcpstateSelectors(expr: string): Array<{ name: string; matchers: string | undefined }> {
  return [...expr.matchAll(/([a-zA-Z_:]*tcpstate_[a-zA-Z0-9_:]*)(\{[^}]*\})?/g)].map((m) => ({ name: m[1] ?? '', matchers: m[2] }));
}

/** Every `expr` string anywhere in a dashboard (panels nested in rows included). */
function dashboardExprs(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(dashboardExprs);
  if (node === null || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([k, v]) => (k === 'expr' && typeof v === 'string' ? [v] : dashboardExprs(v)));
}

function run(cmd: string, args: string[], cwd: string): { status: number | null; output: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  return { status: r.status, output: r.stdout + r.stderr };
}

describe('the rendered mixin files', () => {
  it.each(Object.entries(mixinFiles(REPO_ROOT)))('%s is what `npm run mixin` renders from mixin/ (run it after a change)', (path, text) => {
    expect(readFileSync(join(REPO_ROOT, path), 'utf8')).toBe(text);
  });
});

describe('alert rules', () => {
  it('are exactly the planned alerts', () => {
    expect(ALERTS.map((a) => a.alert).sort()).toEqual([...PLANNED].sort());
  });

  it.each(ALERTS.map((r) => [r.alert, r] as const))('%s follows the alert hygiene rules', (name, r) => {
    expect(name).toMatch(/^Tcpstate(?:[A-Z][a-z0-9]+)+$/);
    expect(r.for).toMatch(/^\d+[smh]$/);
    expect(['critical', 'warning', 'info']).toContain(r.labels['severity']);
    expect(Object.keys(r.annotations).sort()).toEqual(['dashboard_url', 'description', 'runbook_url', 'summary']);
    const { summary = '', description = '', runbook_url: runbook = '', dashboard_url: dashboard = '' } = r.annotations;
    expect(summary).not.toContain('{{');
    expect(summary).toMatch(/[^.]\.$/);
    // Where, and how much (where the value means something): templated, never a duration the
    // `for` may no longer match.
    expect(description).toMatch(/\{\{ \$labels\.\w+|tcpstate_build_info/);
    expect(description).not.toMatch(/\bfor (?:\d+|one|two|five|ten|fifteen) ?(?:s|m|h|seconds?|minutes?|hours?)\b/i);
    // humanize prints 0.2 as "200m": a rate is printed through the per-second template.
    if (/per second/.test(description)) expect(description).toContain('{{ if lt $value 1.0 }}');
    expect(runbook).toMatch(new RegExp(`/docs/runbooks/${name}\\.md$`));
    // The drill-down dashboard with the port where the alert names one, else the overview.
    if (/\$labels\.(?:remote_)?port\b/.test(description)) expect(dashboard).toMatch(/\/d\/tcpstate-port\?var-instance=\{\{ \$labels\.instance \| urlquery \}\}&var-port=\{\{ \$labels\.(?:remote_)?port \| urlquery \}\}/);
    else expect(dashboard).toMatch(/\/d\/tcpstate-overview(?:\?var-instance=\{\{ \$labels\.instance \| urlquery \}\})?$/);
  });

  it.each(ALERTS.map((r) => [r.alert] as const))('%s has its runbook in docs/runbooks', (name) => {
    expect(existsSync(join(REPO_ROOT, 'docs', 'runbooks', `${name}.md`)), `docs/runbooks/${name}.md`).toBe(true);
  });

  it.each(ALERTS.map((r) => [r.alert, r.expr] as const))('%s has no job matcher on a tcpstate_* selector', (_name, expr) => {
    const selectors = tcpstateSelectors(expr);
    expect(selectors.length).toBeGreaterThan(0);
    for (const s of selectors) expect(s.matchers ?? '', s.name).not.toMatch(/\bjob\b/);
  });

  it.each(PLANNED.map((a) => [a] as const))('%s has promtool cases that show it firing and not firing', (alert) => {
    const cases = TESTS.tests.flatMap((t) => t.alert_rule_test ?? []).filter((c) => c.alertname === alert);
    expect(cases.some((c) => c.exp_alerts.length > 0), 'a firing case').toBe(true);
    expect(cases.some((c) => c.exp_alerts.length === 0), 'a non-firing case').toBe(true);
  });

  it('pass promtool check rules, with the recording rules', () => {
    if (!haveTool('promtool')) return;
    const r = run('promtool', ['check', 'rules', RULE_FILES.alerts, RULE_FILES.recording], PROM);
    expect(r.output).toContain(`SUCCESS: ${ALERTS.length} rules found`);
    expect(r.output).toContain(`SUCCESS: ${RECORDS.length} rules found`);
    expect(r.status).toBe(0);
  });

  it('pass their promtool unit tests', () => {
    if (!haveTool('promtool')) return;
    expect(TESTS.rule_files).toEqual([`../${RULE_FILES.alerts}`, `../${RULE_FILES.recording}`]);
    const r = run('promtool', ['test', 'rules', RULE_FILES.tests], PROM);
    expect(r.output).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });
});

describe('recording rules', () => {
  const families = new Set(metricCatalog(BUILD_INFO).map((f) => f.name));

  it.each(RECORDS.map((r) => [r.record, r] as const))('%s is named level:metric:operations after a metric it reads', (name, r) => {
    const m = /^([a-z_]+):(tcpstate_[a-z0-9_]+):([a-z0-9_]+)$/.exec(name);
    expect(m, name).not.toBeNull();
    const metric = m?.[2] ?? '';
    const served = families.has(metric) ? metric : `${metric}_total`;
    expect(families.has(served), `${metric} is a metric the exporter serves`).toBe(true);
    expect(r.expr).toContain(served);
    for (const s of tcpstateSelectors(r.expr)) expect(s.matchers ?? '', s.name).not.toMatch(/\bjob\b/);
  });

  it.each(RECORDS.map((r) => [r.record] as const))('%s is used by an alert or a dashboard', (name) => {
    const grafana = join(REPO_ROOT, 'deploy', 'grafana');
    const dashboards = readdirSync(grafana)
      .filter((f) => f.endsWith('.json'))
      .flatMap((f) => dashboardExprs(JSON.parse(readFileSync(join(grafana, f), 'utf8'))));
    const users = [...ALERTS.map((a) => a.expr), ...dashboards];
    expect(users.some((e) => new RegExp(`${name}(?![a-z0-9_:])`).test(e))).toBe(true);
  });
});

describe('Alertmanager inhibit rules', () => {
  const amConfig = (): string => stringify({ route: { receiver: 'default' }, receivers: [{ name: 'default' }], inhibit_rules: INHIBIT });

  it('are accepted by amtool check-config inside a minimal alertmanager.yml', () => {
    if (!haveTool('amtool')) return;
    const dir = mkdtempSync(join(tmpdir(), 'tcpstate-am-'));
    try {
      writeFileSync(join(dir, 'alertmanager.yml'), amConfig());
      const r = run('amtool', ['check-config', 'alertmanager.yml'], dir);
      expect(r.output).toContain(`${INHIBIT.length} inhibit rules`);
      expect(r.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('in a real Alertmanager', () => {
    const have = haveTool('prometheus-alertmanager');
    let dir = '';
    let child: ChildProcess | undefined;
    let url = '';

    beforeAll(async () => {
      if (!have) return;
      dir = mkdtempSync(join(tmpdir(), 'tcpstate-am-'));
      writeFileSync(join(dir, 'alertmanager.yml'), amConfig());
      const srv = createServer();
      await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
      const port = (srv.address() as { port: number }).port;
      await new Promise<void>((r) => srv.close(() => r()));
      url = `http://127.0.0.1:${port}`;
      child = spawn(
        'prometheus-alertmanager',
        [`--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address='],
        { stdio: 'ignore' },
      );
      await eventually(async () => ((await fetch(`${url}/-/ready`)).ok ? true : undefined), 20_000, 'Alertmanager ready');
    });

    afterAll(async () => {
      if (child && child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((r) => child?.once('exit', () => r()));
        child.kill('SIGTERM');
        await exited;
      }
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    /** Posts alerts (labels only) and returns, per alert, whether Alertmanager suppresses it. */
    async function suppressed(alerts: Array<Record<string, string>>): Promise<Record<string, boolean>> {
      const res = await fetch(`${url}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(alerts.map((labels) => ({ labels }))) });
      expect(res.ok).toBe(true);
      const got = (await (await fetch(`${url}/api/v2/alerts`)).json()) as Array<{ labels: Record<string, string>; status: { state: string } }>;
      return Object.fromEntries(got.map((a) => [`${a.labels['alertname']} ${a.labels['instance']} ${a.labels['remote_address'] ?? ''}`.trim(), a.status.state === 'suppressed']));
    }

    it('silence Pressure under Exhaustion of the same destination only, and every alert of an exporter that is down', async () => {
      if (!have) return;
      const host = (instance: string) => ({ job: 'kubernetes-service-endpoints', instance });
      const dest = (address: string) => ({ family: 'ipv4', remote_address: address, remote_port: '443' });
      const state = await suppressed([
        { alertname: 'TcpstateEphemeralPortExhaustion', ...host('a:9816'), ...dest('10.1.2.3'), severity: 'critical' },
        { alertname: 'TcpstateEphemeralPortPressure', ...host('a:9816'), ...dest('10.1.2.3'), severity: 'warning' },
        { alertname: 'TcpstateEphemeralPortPressure', ...host('a:9816'), ...dest('10.9.9.9'), severity: 'warning' },
        { alertname: 'TcpstateExporterNoSnapshot', ...host('b:9816'), severity: 'warning' },
        { alertname: 'TcpstateCloseWaitLeak', ...host('b:9816'), port: '8080', severity: 'warning' },
        { alertname: 'TcpstateCloseWaitLeak', ...host('c:9816'), port: '8080', severity: 'warning' },
      ]);
      expect(state).toEqual({
        'TcpstateEphemeralPortExhaustion a:9816 10.1.2.3': false,
        'TcpstateEphemeralPortPressure a:9816 10.1.2.3': true,
        'TcpstateEphemeralPortPressure a:9816 10.9.9.9': false,
        'TcpstateExporterNoSnapshot b:9816': false,
        'TcpstateCloseWaitLeak b:9816': true,
        'TcpstateCloseWaitLeak c:9816': false,
      });
    });
  });
});

describe('a vendoring user overriding _config', () => {
  const override = `{ _config+:: {
    tcpstateSelector: 'cluster="a"',
    instanceLabels: ['cluster', 'job', 'instance'],
    upSelectors: ['job="node-tcp"'],
    closeWait+: { sockets: 5 },
    ephemeralPorts+: { exhaustionSeverity: 'warning' },
    runbookURLPattern: 'https://wiki.example.com/%s',
    grafanaURL: 'https://grafana.example.com',
  } }`;
  let m: MixinOutput;
  let alerts: AlertRule[];
  let records: RecordingRule[];
  beforeAll(() => {
    m = evaluateMixin(REPO_ROOT, override);
    alerts = alertsOf(m.alerts as RuleFile<AlertRule>);
    records = recordsOf(m.rules as RuleFile<RecordingRule>);
  });
  const alert = (name: string): AlertRule => {
    const a = alerts.find((r) => r.alert === name);
    if (!a) throw new Error(`${name} missing`);
    return a;
  };

  it('adds the selector to every tcpstate_* selector and to up, and joins on its instance labels', () => {
    for (const r of [...alerts, ...records]) {
      for (const s of tcpstateSelectors(r.expr)) expect(s.matchers, `${s.name} in ${r.expr}`).toContain('cluster="a"');
      for (const on of r.expr.matchAll(/\bon \(([^)]*)\)/g)) expect(on[1]).toBe('cluster, job, instance');
    }
    expect(alert('TcpstateExporterDown').expr).toContain('up{cluster="a",job="node-tcp"}');
    expect(alert('TcpstateExporterDown').expr).not.toContain('tcpstate.*');
    expect(alert('TcpstateExporterAbsent').expr).toContain('up{cluster="a",job="node-tcp"} == 1');
    for (const rule of m.inhibit as InhibitRule[]) expect(rule.equal).toEqual(expect.arrayContaining(['cluster', 'job', 'instance']));
  });

  it('changes thresholds, severities and links', () => {
    expect(alert('TcpstateCloseWaitLeak').expr).toMatch(/>= 5\n/);
    expect(alert('TcpstateCloseWaitLeak').expr).not.toContain('>= 100');
    expect(alert('TcpstateEphemeralPortExhaustion').labels['severity']).toBe('warning');
    expect(alert('TcpstateCloseWaitLeak').annotations['runbook_url']).toBe('https://wiki.example.com/TcpstateCloseWaitLeak');
    for (const a of alerts) expect(a.annotations['dashboard_url']).toContain('https://grafana.example.com/d/');
  });

  it('renders rules promtool accepts', () => {
    if (!haveTool('promtool')) return;
    const dir = mkdtempSync(join(tmpdir(), 'tcpstate-mixin-'));
    try {
      mkdirSync(join(dir, 'rules'));
      writeFileSync(join(dir, 'rules', 'alerts.yml'), stringify(m.alerts, { lineWidth: 0 }));
      writeFileSync(join(dir, 'rules', 'recording.yml'), stringify(m.rules, { lineWidth: 0 }));
      const r = run('promtool', ['check', 'rules', 'rules/alerts.yml', 'rules/recording.yml'], dir);
      expect(r.status, r.output).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
