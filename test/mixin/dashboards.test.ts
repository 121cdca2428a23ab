import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALERTS } from '../../opskit/alerts.js';
import { RECORDING_RULES } from '../../opskit/recording.js';
import { metricCatalog } from '../../src/metrics/catalog.js';
import { BUILD_INFO } from '../../src/version.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { dashboardTargets, type DashboardFile } from '../helpers/dashboards.js';

const FILE = join(REPO_ROOT, 'deploy', 'grafana', 'tcpstate-overview.json');
const d = JSON.parse(readFileSync(FILE, 'utf8')) as DashboardFile;
const panels = d.panels.filter((p) => p.type !== 'row');

/** The conventions Grafana's dashboard linter enforces, checked here on the committed JSON. */
describe('deploy/grafana/tcpstate-overview.json', () => {
  it('has a uid and a title, and is not editable (it is provisioned from opskit/)', () => {
    expect(d.uid).toMatch(/^[a-z0-9-]{1,40}$/);
    expect(d.title).not.toBe('');
    expect(d.editable).toBe(false);
  });

  it('has a datasource variable, multi-select job and instance variables with ".+" for All, and a port variable', () => {
    const v = Object.fromEntries(d.templating.list.map((t) => [t.name, t]));
    expect(v['datasource']).toMatchObject({ type: 'datasource', query: 'prometheus' });
    for (const name of ['job', 'instance', 'port']) expect(v[name], name).toMatchObject({ type: 'query', multi: true, includeAll: true, allValue: '.+', datasource: { uid: '${datasource}' } });
  });

  it.each(panels.map((p) => [p.title, p] as const))('panel "%s" has a unit, a description and the $datasource', (_t, p) => {
    expect(p.fieldConfig.defaults.unit).toMatch(/\w/);
    expect(p.description.length).toBeGreaterThan(20);
    expect(p.datasource.uid).toBe('${datasource}');
    for (const t of p.targets) expect(t.datasource.uid).toBe('${datasource}');
  });

  it.each(dashboardTargets(d).map((t) => [`${t.panel}: ${t.expr}`, t.expr] as const))('%s selects with $job and $instance and rates over $__rate_interval', (_n, expr) => {
    const selectors = [...expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)?\{([^}]*)\}/g)];
    expect(selectors.length).toBeGreaterThan(0);
    for (const [, , matchers] of selectors) {
      expect(matchers).toContain('job=~"$job"');
      expect(matchers).toContain('instance=~"$instance"');
    }
    // No metric named without a selector (every tcpstate_ name is followed by "{").
    expect(expr).not.toMatch(/(?:^|[^a-zA-Z0-9_:{"])(?:[a-z_]+:)?tcpstate_[a-z0-9_:]+(?![a-z0-9_:{])/);
    for (const [, range] of expr.matchAll(/\b(?:rate|irate|increase)\([^[]*\[([^\]]+)\]/g)) expect(range).toBe('$__rate_interval');
  });

  it('with the rules, covers every metric family the exporter serves', () => {
    const exprs = [...dashboardTargets(d).map((t) => t.expr), ...ALERTS.map((a) => a.expr), ...RECORDING_RULES.map((r) => r.expr)];
    const nameRegexes = exprs.flatMap((e) => [...e.matchAll(/__name__=~"([^"]+)"/g)].map((m) => new RegExp(`^(?:${m[1]})$`)));
    const uncovered = metricCatalog(BUILD_INFO)
      .map((f) => f.name)
      .filter((name) => !exprs.some((e) => new RegExp(`\\b${name}\\b`).test(e)) && !nameRegexes.some((re) => re.test(name)));
    expect(uncovered).toEqual([]);
  });

  it('covers every kind of data the kit promises', () => {
    const all = dashboardTargets(d).map((t) => t.expr).join('\n');
    for (const metric of [
      'tcpstate_sockets:sum',
      'tcpstate_port_sockets',
      'tcpstate_listen_queue_max_fill_ratio',
      'tcpstate_tcpext_listen_overflows_total',
      'tcpstate_tcpext_listen_drops_total',
      'tcpstate_sysctl_keepalive_time_seconds',
      'tcpstate_established_without_keepalive:ratio',
      'tcpstate_ephemeral_port_worst_destination_ratio',
      'tcpstate_time_wait_buckets:ratio',
      'tcpstate_tcp_retransmit:ratio_rate5m',
      'tcpstate_tcp_out_resets_total',
      'tcpstate_tcpext_abort_on_timeout_total',
      'tcpstate_collector_duration_seconds',
      'tcpstate_collector_success',
      'tcpstate_snapshot_age_seconds',
    ]) {
      expect(all, metric).toContain(metric);
    }
  });
});
