/**
 * The small part of Grafana's dashboard JSON model (schemaVersion 39) the kit uses, typed, with
 * builders that apply the conventions Grafana's dashboard linter enforces: every panel and query
 * on the `$datasource` variable, a unit and a description on every panel, `job`/`instance`
 * variables that are multi-select with ".+" for All.
 */
export type PanelType = 'timeseries' | 'stat' | 'bargauge' | 'table';

export interface Target {
  expr: string;
  legendFormat?: string;
  /** Table panels read the latest value of each series. */
  instant?: boolean;
}

export interface PanelSpec {
  title: string;
  description: string;
  type: PanelType;
  unit: string;
  targets: readonly Target[];
  /** Grid width (of 24) and height. */
  w?: number;
  h?: number;
  /** Stat/bargauge thresholds (value → color), lowest first. */
  thresholds?: ReadonlyArray<{ value: number | null; color: string }>;
  stack?: boolean;
}

export interface RowSpec {
  row: string;
  panels: readonly PanelSpec[];
}

const DATASOURCE = { type: 'prometheus', uid: '${datasource}' } as const;

export interface DashboardJson {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  schemaVersion: number;
  editable: boolean;
  graphTooltip: number;
  time: { from: string; to: string };
  refresh: string;
  templating: { list: unknown[] };
  panels: unknown[];
}

function queryVariable(name: string, label: string, query: string): unknown {
  return {
    name,
    label,
    type: 'query',
    datasource: DATASOURCE,
    query: { query, refId: `${name}-variable` },
    definition: query,
    refresh: 2,
    sort: 1,
    multi: true,
    includeAll: true,
    allValue: '.+',
    current: { selected: true, text: ['All'], value: ['$__all'] },
  };
}

export function dashboard(spec: { uid: string; title: string; description: string; tags: string[]; rows: readonly RowSpec[] }): DashboardJson {
  const panels: unknown[] = [];
  let id = 1;
  let y = 0;
  for (const row of spec.rows) {
    panels.push({ type: 'row', id: id++, title: row.row, collapsed: false, gridPos: { x: 0, y: y++, w: 24, h: 1 }, panels: [] });
    let x = 0;
    let rowHeight = 0;
    for (const p of row.panels) {
      const w = p.w ?? 12;
      const h = p.h ?? 8;
      if (x + w > 24) {
        x = 0;
        y += rowHeight;
        rowHeight = 0;
      }
      panels.push(panel(p, id++, { x, y, w, h }));
      x += w;
      rowHeight = Math.max(rowHeight, h);
    }
    y += rowHeight;
  }
  return {
    uid: spec.uid,
    title: spec.title,
    description: spec.description,
    tags: spec.tags,
    schemaVersion: 39,
    // Provisioned: changes belong in opskit/, not in Grafana (the linter's uneditable-dashboard rule).
    editable: false,
    graphTooltip: 1,
    time: { from: 'now-6h', to: 'now' },
    refresh: '30s',
    templating: {
      list: [
        { name: 'datasource', label: 'Data source', type: 'datasource', query: 'prometheus', current: {}, hide: 0 },
        queryVariable('job', 'Job', 'label_values(tcpstate_build_info, job)'),
        queryVariable('instance', 'Instance', 'label_values(tcpstate_build_info{job=~"$job"}, instance)'),
        queryVariable('port', 'Port', 'label_values(tcpstate_port_sockets{job=~"$job", instance=~"$instance"}, port)'),
      ],
    },
    panels,
  };
}

function panel(p: PanelSpec, id: number, gridPos: { x: number; y: number; w: number; h: number }): unknown {
  const thresholds = { mode: 'absolute', steps: p.thresholds ?? [{ value: null, color: 'green' }] };
  return {
    id,
    type: p.type,
    title: p.title,
    description: p.description,
    datasource: DATASOURCE,
    gridPos,
    fieldConfig: {
      defaults: {
        unit: p.unit,
        thresholds,
        ...(p.type === 'timeseries' ? { custom: { drawStyle: 'line', fillOpacity: p.stack ? 30 : 10, stacking: { mode: p.stack ? 'normal' : 'none' } } } : {}),
      },
      overrides: [],
    },
    options:
      p.type === 'timeseries'
        ? { legend: { displayMode: 'table', placement: 'right', calcs: ['lastNotNull', 'max'] }, tooltip: { mode: 'multi', sort: 'desc' } }
        : p.type === 'table'
          ? { showHeader: true }
          : { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, orientation: 'horizontal' },
    targets: p.targets.map((t, i) => ({
      datasource: DATASOURCE,
      refId: String.fromCharCode(65 + i),
      expr: t.expr,
      legendFormat: t.legendFormat ?? '__auto',
      range: !t.instant,
      instant: t.instant === true,
      ...(t.instant ? { format: 'table' } : {}),
    })),
    ...(p.type === 'table' ? { transformations: [{ id: 'organize', options: { excludeByName: { Time: true } } }] } : {}),
  };
}
