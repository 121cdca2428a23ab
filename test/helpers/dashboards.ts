import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from './paths.js';

/** The dashboards the mixin renders into deploy/grafana/ (grafanaDashboards' keys). */
export const DASHBOARD_FILES = ['tcpstate-overview.json', 'tcpstate-port.json'] as const;

export interface Datasource {
  type: string;
  uid: string;
}

/** One Grafana query of a panel (Prometheus data source). */
export interface DashboardTarget {
  refId: string;
  expr: string;
  legendFormat: string;
  instant: boolean;
  range: boolean;
  format: 'table' | 'time_series';
  datasource: Datasource;
}

export interface DataLink {
  title: string;
  url: string;
}

export interface FieldOverride {
  matcher: { id: string; options: string };
  properties: Array<{ id: string; value: unknown }>;
}

export interface Transformation {
  id: string;
  options: { excludeByName?: Record<string, boolean>; renameByName?: Record<string, string>; indexByName?: Record<string, number> };
}

/** A panel as the mixin renders it; rows carry their panels in `panels` when collapsed. */
export interface DashboardPanel {
  id: number;
  type: string;
  title: string;
  description: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: Datasource;
  fieldConfig?: {
    defaults: { unit?: string; noValue?: string; links?: DataLink[]; thresholds?: { steps: Array<{ value: number | null; color: string }> } };
    overrides: FieldOverride[];
  };
  options?: { content?: string };
  targets?: DashboardTarget[];
  transformations?: Transformation[];
  collapsed?: boolean;
  panels?: DashboardPanel[];
}

export interface DashboardVariable {
  name: string;
  type: string;
  query: string | { query: string };
  multi?: boolean;
  includeAll?: boolean;
  allValue?: string;
  sort?: number;
  datasource?: Datasource;
}

/** The parts of a committed dashboard JSON the tests read. */
export interface DashboardFile {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  timezone: string;
  refresh: string;
  editable: boolean;
  links: Array<{ type: string; url: string; includeVars: boolean; keepTime: boolean }>;
  annotations: { list: Array<{ name: string; expr?: string; datasource: Datasource }> };
  templating: { list: DashboardVariable[] };
  panels: DashboardPanel[];
}

/** Reads a committed dashboard (deploy/grafana/<name>). */
export function readDashboard(name: string): DashboardFile {
  return JSON.parse(readFileSync(join(REPO_ROOT, 'deploy', 'grafana', name), 'utf8')) as DashboardFile;
}

/** Every panel that is not a row, those inside collapsed rows included. */
export function dataPanels(d: DashboardFile): DashboardPanel[] {
  return d.panels.flatMap((p) => (p.type === 'row' ? (p.panels ?? []) : [p]));
}

/** Every query of every panel, with the panel it belongs to. */
export function dashboardTargets(d: DashboardFile): Array<{ panel: DashboardPanel; target: DashboardTarget }> {
  return dataPanels(d).flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel, target })));
}

/** The variable's PromQL `label_values(...)` query. */
export function variableQuery(v: DashboardVariable): string {
  return typeof v.query === 'string' ? v.query : v.query.query;
}

/**
 * The column a table query's value lands in once merged and renamed: Grafana names it "Value"
 * with one query and "Value #<refId>" with several; the organize step renames it.
 */
export function tableColumn(panel: DashboardPanel, target: DashboardTarget): string {
  const raw = (panel.targets ?? []).length > 1 ? `Value #${target.refId}` : 'Value';
  const organize = panel.transformations?.find((t) => t.id === 'organize');
  return organize?.options.renameByName?.[raw] ?? raw;
}

/**
 * The unit Grafana shows a query's values in: a table column's override (by its renamed
 * name), a query's override (by refId), else the panel's default.
 */
export function effectiveUnit(panel: DashboardPanel, target: DashboardTarget): string | undefined {
  const overrides = panel.fieldConfig?.overrides ?? [];
  const matcher = panel.type === 'table' ? { id: 'byName', options: tableColumn(panel, target) } : { id: 'byFrameRefID', options: target.refId };
  const override = overrides.find((o) => o.matcher.id === matcher.id && o.matcher.options === matcher.options)?.properties.find((p) => p.id === 'unit');
  return typeof override?.value === 'string' ? override.value : panel.fieldConfig?.defaults.unit;
}

/**
 * The units a query's result may be shown in, from what it computes: a Unix timestamp (x 1000)
 * is a date, `time() -` one an age in seconds; a rate of a `_seconds_total` counter is a share
 * of time, of a `_bytes_total` one bytes per second, of any other counter operations per
 * second; ratios (a `:ratio` recording rule, a `_ratio` gauge, a division) are percentunit;
 * `_bytes` and `_seconds` gauges keep their base unit; everything else (counts, probes, sysctl
 * values, ALERTS, up) is a plain number.
 */
export function expectedUnits(expr: string): string[] {
  if (/_timestamp_seconds/.test(expr)) return /time\(\)\s*-/.test(expr) ? ['s'] : ['dateTimeAsIso'];
  // A quantile of a histogram keeps the histogram's unit.
  if (/histogram_quantile\(.*_seconds_bucket\b/.test(expr)) return ['s'];
  const rated = /\b(?:rate|irate)\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(expr)?.[1];
  if (rated !== undefined) return rated.endsWith('_seconds_total') ? ['percentunit'] : rated.endsWith('_bytes_total') ? ['Bps'] : ['ops'];
  if (/:ratio|_ratio\b|\s\/\s/.test(expr)) return ['percentunit'];
  if (/_bytes\b/.test(expr)) return ['bytes'];
  if (/_seconds\b/.test(expr)) return ['s'];
  return ['short', 'none'];
}

/** Label names of every `by (...)` clause of an expression, in order. */
export function groupings(expr: string): string[][] {
  return [...expr.matchAll(/\bby\s*\(([^)]*)\)/g)].map((m) => m[1]!.split(',').map((s) => s.trim()).filter((s) => s !== ''));
}

/** Recording rules as rendered to deploy/prometheus/tcpstate-recording.yml: name → expression. */
export function recordingRules(): Map<string, string> {
  const file = parse(readFileSync(join(REPO_ROOT, 'deploy', 'prometheus', 'tcpstate-recording.yml'), 'utf8')) as { groups: Array<{ rules: Array<{ record: string; expr: string }> }> };
  return new Map(file.groups.flatMap((g) => g.rules.map((r) => [r.record, r.expr] as const)));
}

/**
 * A panel query as Grafana sends it: `$name` replaced by `vars[name]` (a regex or value; names
 * not given are left alone, e.g. label_replace's "$1"), `$__rate_interval` and `$__range` by the
 * given windows.
 */
export function asQuery(expr: string, vars: Record<string, string>, rateInterval = '10s', range = '5m'): string {
  return expr
    .replaceAll('$__rate_interval', rateInterval)
    .replaceAll('$__range', range)
    .replace(/\$(\w+)/g, (whole, name: string) => vars[name] ?? whole);
}
