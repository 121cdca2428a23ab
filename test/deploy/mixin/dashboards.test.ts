import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { evaluateMixin, mixinFiles } from '../../../scripts/mixinFiles.js';
import { metricCatalog } from '../../../src/metrics/catalog.js';
import { BUILD_INFO } from '../../../src/version.js';
import {
  DASHBOARD_FILES,
  dashboardTargets,
  dataPanels,
  effectiveUnit,
  expectedUnits,
  groupings,
  readDashboard,
  recordingRules,
  tableColumn,
  variableQuery,
  type DashboardFile,
} from '../../helpers/dashboards.js';
import { REPO_ROOT } from '../../helpers/paths.js';

interface DashboardConfig {
  dashboardTags: string[];
  dashboardRefresh: string;
  dashboardTimezone: string;
  dashboardUIDs: { overview: string; port: string };
  natIdleTimeouts: Array<{ name: string; seconds: number }>;
}

const config = JSON.parse(execFileSync('jsonnet', ['-J', join(REPO_ROOT, 'mixin'), '-e', '(import "mixin.libsonnet")._config'], { encoding: 'utf8' })) as DashboardConfig;
const dashboards = Object.fromEntries(DASHBOARD_FILES.map((f) => [f, readDashboard(f)])) as Record<(typeof DASHBOARD_FILES)[number], DashboardFile>;
const overview = dashboards['tcpstate-overview.json'];
const port = dashboards['tcpstate-port.json'];
const byUid = new Map(Object.values(dashboards).map((d) => [d.uid, d]));
const vars = (d: DashboardFile) => Object.fromEntries(d.templating.list.map((v) => [v.name, v]));
const ALERTS = /\bALERTS\{/;

describe('the rendered dashboards', () => {
  // Rendering the whole mixin takes seconds (more on a loaded machine): once, for both files.
  let rendered: Record<string, string> | undefined;
  it.each(DASHBOARD_FILES.map((f) => [f] as const))(
    'deploy/grafana/%s is what `npm run mixin` renders from mixin/ (run it after a change)',
    (file) => {
      rendered ??= mixinFiles(REPO_ROOT);
      const text = rendered[`deploy/grafana/${file}`];
      expect(text, 'grafanaDashboards has no such key').toBeDefined();
      expect(readFileSync(join(REPO_ROOT, 'deploy', 'grafana', file), 'utf8')).toBe(text);
    },
    120_000,
  );

  it('take uid, tags, refresh and timezone from _config, and are not editable (provisioned from mixin/)', () => {
    expect(overview.uid).toBe(config.dashboardUIDs.overview);
    expect(port.uid).toBe(config.dashboardUIDs.port);
    for (const d of Object.values(dashboards)) {
      expect(d.uid).toMatch(/^[a-z0-9-]{1,40}$/);
      expect(d.title).not.toBe('');
      expect(d.tags).toEqual(config.dashboardTags);
      expect(d.refresh).toBe(config.dashboardRefresh);
      expect(d.timezone).toBe(config.dashboardTimezone);
      expect(d.editable).toBe(false);
    }
  });

  it('come with a Grafana file-provisioning file, and the documented install copies every dashboard where it points', () => {
    const grafana = join(REPO_ROOT, 'deploy', 'grafana');
    const file = parse(readFileSync(join(grafana, 'provisioning', 'dashboards', 'tcpstate.yml'), 'utf8')) as { apiVersion: number; providers: Array<{ type: string; allowUiUpdates: boolean; options: { path: string } }> };
    expect(file.apiVersion).toBe(1);
    const [provider] = file.providers;
    expect(provider).toMatchObject({ type: 'file', allowUiUpdates: false });
    const readme = readFileSync(join(grafana, 'README.md'), 'utf8');
    const copy = readme.split('\n').find((l) => l.startsWith('sudo install -m 0644 deploy/grafana/tcpstate-'));
    expect(copy?.trim().endsWith(` ${provider!.options.path}/`), copy).toBe(true);
    for (const f of DASHBOARD_FILES) expect(copy).toContain(`deploy/grafana/${f}`);
    expect(readme).toContain('sudo install -m 0644 deploy/grafana/provisioning/dashboards/tcpstate.yml /etc/grafana/provisioning/dashboards/');
  });

  it('annotate the firing Tcpstate alerts of the selected instance(s), on $datasource', () => {
    for (const d of Object.values(dashboards)) {
      const [a, ...more] = d.annotations.list.filter((x) => x.expr !== undefined);
      expect(more).toEqual([]);
      expect(a?.datasource.uid).toBe('${datasource}');
      expect(a?.expr).toMatch(/^ALERTS\{alertname=~"Tcpstate\.\*", alertstate="firing", job=~"\$job\|", instance=~?"\$instance\|?"\}$/);
    }
  });

  it('link to each other, keeping the time range and the variables', () => {
    expect(overview.links).toContainEqual(expect.objectContaining({ url: `/d/${port.uid}`, includeVars: true, keepTime: true }));
    expect(port.links).toContainEqual(expect.objectContaining({ url: `/d/${overview.uid}`, includeVars: true, keepTime: true }));
  });
});

describe('variables', () => {
  it.each(DASHBOARD_FILES.map((f) => [f] as const))('%s: a Prometheus datasource variable, and every query variable on it', (file) => {
    const d = dashboards[file];
    expect(vars(d)['datasource']).toMatchObject({ type: 'datasource', query: 'prometheus' });
    for (const v of d.templating.list.filter((v) => v.type === 'query')) expect(v.datasource?.uid, v.name).toBe('${datasource}');
  });

  it('overview: job, instance and port are multi-select with ".+" for All; ports sort numerically', () => {
    const v = vars(overview);
    for (const name of ['job', 'instance', 'port']) expect(v[name], name).toMatchObject({ type: 'query', multi: true, includeAll: true, allValue: '.+' });
    expect(v['port']!.sort).toBe(3);
    expect(variableQuery(v['port']!)).toContain('instance=~"$instance"');
  });

  it('drill-down: one instance and one port (numerically sorted), roles multi-select, queries matching them exactly', () => {
    const v = vars(port);
    for (const name of ['instance', 'port']) expect(v[name], name).toMatchObject({ type: 'query', multi: false, includeAll: false });
    expect(v['port']!.sort).toBe(3);
    expect(v['role']).toMatchObject({ multi: true, includeAll: true, allValue: '.+' });
    expect(v['job']).toMatchObject({ multi: true, includeAll: true, allValue: '.+' });
    expect(variableQuery(v['port']!)).toContain('instance="$instance"');
    expect(variableQuery(v['role']!)).toContain('port="$port"');
  });
});

/** The conventions Grafana's dashboard linter checks, and ours. */
describe.each(DASHBOARD_FILES.map((f) => [f] as const))('%s', (file) => {
  const d = dashboards[file];
  const panels = dataPanels(d);
  const queryPanels = panels.filter((p) => p.type !== 'text');
  const instanceMatcher = d === port ? 'instance="$instance"' : 'instance=~"$instance"';

  it('has panels, each with a unique id and a place inside the 24-column grid', () => {
    expect(panels.length).toBeGreaterThan(5);
    const ids = [...d.panels.filter((p) => p.type === 'row'), ...panels].map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of panels) expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
  });

  it.each(panels.map((p) => [p.title, p] as const))('panel "%s" has a description', (_t, p) => {
    expect(p.description.length).toBeGreaterThan(30);
  });

  it.each(queryPanels.map((p) => [p.title, p] as const))('panel "%s" has a unit and queries, all on $datasource', (_t, p) => {
    expect(p.fieldConfig?.defaults.unit).toMatch(/\w/);
    expect(p.datasource?.uid).toBe('${datasource}');
    expect(p.targets?.length).toBeGreaterThan(0);
    for (const t of p.targets ?? []) expect(t.datasource.uid).toBe('${datasource}');
  });

  const targets = dashboardTargets(d).map(({ panel, target }) => [`${panel.title} ${target.refId}`, panel, target] as const);

  it.each(targets)('%s: every selector has the job and instance variables, rates use $__rate_interval', (_n, _p, t) => {
    const selectors = [...t.expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}/g)];
    expect(selectors.length).toBeGreaterThan(0);
    for (const [, name, matchers] of selectors) {
      // ALERTS keeps the alert's labels: alerts without job or instance (a missing target) show too.
      if (name === 'ALERTS') expect(matchers).toContain('instance=~"$instance|"');
      else {
        expect(matchers, name).toContain('job=~"$job"');
        expect(matchers, name).toContain(instanceMatcher);
      }
    }
    // No metric without a selector (every tcpstate_ name is followed by "{").
    expect(t.expr).not.toMatch(/(?:^|[^a-zA-Z0-9_:{"])(?:[a-z_]+:)?tcpstate_[a-z0-9_:]+(?![a-z0-9_:{])/);
    for (const [, fn, range] of t.expr.matchAll(/\b(rate|irate|increase)\([^[]*\[([^\]]+)\]/g)) expect(range, fn).toBe(fn === 'increase' ? '$__range' : '$__rate_interval');
  });

  it.each(targets)('%s: keeps instance in every grouping and every legend, and names only kept labels in the legend', (_n, p, t) => {
    if (ALERTS.test(t.expr) && p.type === 'stat') return; // the one count of firing alerts across instances
    // Every aggregation says what it keeps, and keeps instance.
    expect(t.expr).not.toMatch(/\b(?:sum|min|max|avg|count|group|stddev|stdvar)\s*\(/);
    for (const by of groupings(t.expr)) expect(by).toContain('instance');
    if (t.format === 'table') return;
    expect(t.legendFormat).toContain('{{instance}}');
    const kept = groupings(t.expr)[0];
    for (const [, label] of t.legendFormat.matchAll(/\{\{(\w+)\}\}/g)) if (kept) expect(kept, `legend label ${label}`).toContain(label);
  });

  it.each(targets)('%s: has the unit of what it computes', (_n, p, t) => {
    expect(expectedUnits(t.expr)).toContain(effectiveUnit(p, t));
  });

  it.each(targets)('%s: filters nothing out (0 shows as 0, not as "No data")', (_n, _p, t) => {
    expect(t.expr).not.toMatch(/(?:>|>=|!=|==)\s*0(?![.\d])/);
  });

  it.each(queryPanels.filter((p) => p.type === 'table').map((p) => [p.title, p] as const))('table "%s" merges its queries into one row per key, names every column, and keeps instance', (_t, p) => {
    const targets = p.targets ?? [];
    const ids = (p.transformations ?? []).map((t) => t.id);
    if (targets.length > 1) expect(ids[0]).toBe('merge');
    const organize = p.transformations?.find((t) => t.id === 'organize');
    expect(organize?.options.excludeByName?.['Time']).toBe(true);
    expect(organize?.options.excludeByName?.['instance']).toBeUndefined();
    expect(organize?.options.indexByName?.['instance']).toBeDefined();
    for (const t of targets) {
      expect(t).toMatchObject({ instant: true, format: 'table' });
      const column = tableColumn(p, t);
      expect(column, t.refId).not.toMatch(/^Value/);
      expect(p.fieldConfig?.overrides.some((o) => o.matcher.id === 'byName' && o.matcher.options === column), column).toBe(true);
    }
  });

  it('has data links only to these dashboards, with variables the target dashboard has', () => {
    const links = panels.flatMap((p) => [...(p.fieldConfig?.defaults.links ?? []), ...(p.fieldConfig?.overrides ?? []).flatMap((o) => o.properties.filter((x) => x.id === 'links').flatMap((x) => x.value as Array<{ url: string }>))]);
    for (const { url } of links) {
      const m = /^\/d\/([a-z0-9-]+)\?(.*)$/.exec(url);
      expect(m, url).not.toBeNull();
      const target = byUid.get(m![1]!);
      expect(target, url).toBeDefined();
      for (const [, name] of m![2]!.matchAll(/var-(\w+)=/g)) expect(Object.keys(vars(target!)), url).toContain(name);
      expect(url).toContain('var-instance=');
    }
  });
});

describe('what the dashboards show', () => {
  const all = Object.values(dashboards).flatMap((d) => dashboardTargets(d).map((t) => t.target.expr));
  const rules = recordingRules();
  const usedRules = [...rules.keys()].filter((name) => all.some((e) => e.includes(`${name}{`)));

  it('every recording rule a panel reads exists in the rendered recording rules', () => {
    const named = new Set(all.flatMap((e) => [...e.matchAll(/\b([a-z_]+:tcpstate_[a-z0-9_]+:[a-z0-9_]+)\{/g)].map((m) => m[1]!)));
    expect([...named].filter((n) => !rules.has(n))).toEqual([]);
    expect(named.size).toBeGreaterThan(0);
  });

  it('every metric family the exporter serves is on some panel (directly or through a recording rule)', () => {
    const shown = [...all, ...usedRules.map((r) => rules.get(r)!)].join('\n');
    // A histogram is queried through its series: name_bucket, name_sum, name_count (a gauge histogram's: name_bucket).
    const series = { histogram: '_(?:bucket|sum|count)', gaugehistogram: '_bucket' } as Record<string, string>;
    const missing = metricCatalog(BUILD_INFO)
      .filter((f) => !new RegExp(`\\b${f.name}${series[f.type] ?? ''}\\b`).test(shown))
      .map((f) => f.name);
    expect(missing).toEqual([]);
  });

  it("no dashboard, rule or alert reads a gauge histogram's count or sum (OpenMetrics names them _gcount and _gsum, the text format _count and _sum)", () => {
    const gauges = metricCatalog(BUILD_INFO).filter((f) => f.type === 'gaugehistogram').map((f) => f.name);
    expect(gauges).toContain('tcpstate_port_rtt_seconds');
    const { alerts, rules: recording, dashboards: rendered } = evaluateMixin(REPO_ROOT);
    const everything = JSON.stringify([alerts, recording, rendered]);
    expect(gauges.flatMap((name) => [...everything.matchAll(new RegExp(`\\b${name}_g?(?:count|sum)\\b`, 'g'))].map((m) => m[0]))).toEqual([]);
    expect(everything).toContain('tcpstate_port_rtt_seconds_bucket');
  });

  it('overview: the top row is what alerts', () => {
    const top = overview.panels.slice(1, overview.panels.findIndex((p, i) => i > 0 && p.type === 'row'));
    const exprs = top.flatMap((p) => (p.targets ?? []).map((t) => t.expr)).join('\n');
    for (const signal of [
      'ALERTS{alertname=~"Tcpstate.*", alertstate="firing"',
      'tcpstate_tcpext_listen_overflows_total',
      'tcpstate_tcpext_listen_drops_total',
      'tcpstate_ephemeral_port_worst_destination_ratio',
      'instance_state:tcpstate_ephemeral_ports_held:ratio{',
      'state="exclusive"',
      'tcpstate_tcp_retransmitted_segments:ratio_rate5m',
      'instance:tcpstate_sockstat_memory_bytes:ratio',
    ]) expect(exprs, signal).toContain(signal);
  });

  it('overview: queued bytes count ESTABLISHED sockets only (a CLOSE_WAIT FIN is one queued byte, not a slow reader)', () => {
    const queued = dashboardTargets(overview).filter(({ target }) => /tcpstate_(receive|send)_queue_bytes/.test(target.expr));
    expect(queued.length).toBeGreaterThan(0);
    for (const { target } of queued) expect(target.expr).toContain('state="established"');
  });

  it('keepalive: tcp_keepalive_time is coloured at each NAT/LB idle timeout of _config, per-port coverage covers both roles', () => {
    for (const d of Object.values(dashboards)) {
      const stat = dataPanels(d).find((p) => p.targets?.some((t) => t.expr.includes('tcpstate_sysctl_keepalive_time_seconds')) && p.type === 'stat');
      expect(stat, d.uid).toBeDefined();
      expect(stat!.fieldConfig?.defaults.unit).toBe('s');
      expect(stat!.fieldConfig?.defaults.thresholds?.steps.map((s) => s.value)).toEqual([null, ...config.natIdleTimeouts.map((t) => t.seconds)]);
      expect(stat!.description).not.toMatch(/intvl\s*[x×*]\s*probes/);
    }
    const coverage = dashboardTargets(overview).filter(({ target }) => target.expr.includes('tcpstate_port_established_keepalive_sockets'));
    expect(coverage.length).toBeGreaterThan(0);
    for (const { target } of coverage) {
      expect(target.expr).not.toMatch(/role="/);
      expect(groupings(target.expr)[0]).toEqual(['instance', 'role', 'port']);
    }
  });

  it('drill-down: every per-port query selects the port variable', () => {
    const portMetrics = /tcpstate_(port_sockets|listen_queue_\w+|listeners|port_established_keepalive_sockets|netns_port_sockets|ephemeral_port_destination_\w+)\{/;
    const perPort = dashboardTargets(port).filter(({ target }) => portMetrics.test(target.expr));
    expect(perPort.length).toBeGreaterThan(5);
    for (const { target } of perPort) for (const sel of target.expr.match(new RegExp(portMetrics.source, 'g')) ?? []) expect(target.expr, sel).toMatch(/port="\$port"/);
  });

  it('drill-down: the text panel has the exact ss commands for both roles, and for a pod', () => {
    const text = dataPanels(port).find((p) => p.type === 'text' && p.options?.content?.includes('ss '))?.options?.content ?? '';
    expect(text).toContain(`ss -tanp state close-wait '( sport = :$port )'`);
    expect(text).toContain(`ss -tanp state close-wait '( dport = :$port )'`);
    expect(text).toMatch(/nsenter -t \S+ -n ss -tanp state close-wait '\( sport = :\$port \)'/);
    expect(text).toMatch(/nsenter -t \S+ -n ss -tanp state close-wait '\( dport = :\$port \)'/);
  });

  it('alerts link to these dashboards with variables they have (dashboard_url)', () => {
    const file = parse(readFileSync(join(REPO_ROOT, 'deploy', 'prometheus', 'tcpstate-alerts.yml'), 'utf8')) as { groups: Array<{ rules: Array<{ alert: string; annotations?: Record<string, string> }> }> };
    // Templates out: `{{ if }}`, `{{ else }}` and `{{ end }}` separate URLs, any other `{{ }}` is a value.
    const plain = (url: string): string => url.replace(/\{\{-?\s*(?:if|else|end)\b[^}]*\}\}/g, ' ').replace(/\{\{[^}]*\}\}/g, 'V');
    const urls = file.groups
      .flatMap((g) => g.rules)
      .flatMap((r) => [...plain(r.annotations?.['dashboard_url'] ?? '').matchAll(/\/d\/([a-z0-9-]+)(\S*)/g)].map((m) => ({ alert: r.alert, uid: m[1]!, rest: m[2]! })));
    expect(urls.some((u) => u.uid === port.uid && u.rest.includes('var-port='))).toBe(true);
    for (const u of urls) {
      const target = byUid.get(u.uid);
      expect(target, `${u.alert} links to /d/${u.uid}`).toBeDefined();
      for (const [, name] of u.rest.matchAll(/var-(\w+)=/g)) expect(Object.keys(vars(target!)), `${u.alert}: var-${name}`).toContain(name);
    }
  });
});
