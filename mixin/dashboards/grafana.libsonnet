// Small builders for the part of Grafana's dashboard JSON model (schemaVersion 39) the tcpstate
// dashboards use. Written here instead of importing grafonnet so the mixin renders with Debian's
// jsonnet alone. They apply the conventions Grafana's dashboard linter checks: every panel and
// every query on the `$datasource` variable, a unit and a description on every data panel.
//
// A panel is built in two steps: a constructor (timeseries, stat, barGauge, table, text) gives
// the panel with a hidden `size` ({w, h} on Grafana's 24-column grid), and `dashboard` places it
// (gridPos) and numbers it (id). Modifiers (thresholds, noValue, links, ...) are objects added
// with `+`.
local datasource = { type: 'prometheus', uid: '${datasource}' };
local refIds = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

// One Grafana query. Range queries draw over time; instant ones read the latest value (bar gauges
// and tables of "now"), as a table frame when `table`.
local target(i, t) = {
  datasource: datasource,
  refId: refIds[i],
  expr: t.expr,
  legendFormat: if t.legend == '' then '__auto' else t.legend,
  range: !t.instant,
  instant: t.instant,
  format: if t.table then 'table' else 'time_series',
  editorMode: 'code',
};

local thresholdSteps(steps) = { mode: 'absolute', steps: [{ color: 'green', value: null }] + steps };

local panel(type, title, description, unit, targets, size) = {
  type: type,
  title: title,
  description: description,
  datasource: datasource,
  fieldConfig: { defaults: { unit: unit, thresholds: thresholdSteps([]) }, overrides: [] },
  options: {},
  targets: std.mapWithIndex(target, targets),
  size:: size,
};

// The name Grafana gives the value column of query `refId` in a table frame: "Value" with one
// query, "Value #<refId>" with several (Prometheus data source, format=table).
local valueColumn(count, refId) = if count > 1 then 'Value #' + refId else 'Value';

{
  datasource:: datasource,

  // --- queries ---
  // A range query drawn over time; legend is Grafana's legend format ('{{instance}} {{port}}').
  query(expr, legend):: { expr: expr, legend: legend, instant: false, table: false },
  // The latest value of each series, for bar gauges and stats of "now".
  instant(expr, legend):: { expr: expr, legend: legend, instant: true, table: false },
  // The latest value of each series as table rows (labels become columns).
  tableQuery(expr):: { expr: expr, legend: '', instant: true, table: true },

  // --- panels ---
  // A time series panel; `stack` stacks the series (parts of one whole, e.g. sockets by state).
  timeseries(title, description, unit, targets, w=12, h=8, stack=false)::
    panel('timeseries', title, description, unit, targets, { w: w, h: h }) + {
      fieldConfig+: { defaults+: { custom: {
        drawStyle: 'line',
        lineWidth: 1,
        fillOpacity: if stack then 30 else 10,
        showPoints: 'never',
        spanNulls: false,
        stacking: { mode: if stack then 'normal' else 'none', group: 'A' },
        thresholdsStyle: { mode: 'off' },
      } } },
      options: {
        legend: { displayMode: 'table', placement: 'bottom', calcs: ['lastNotNull', 'max'], sortBy: 'Max', sortDesc: true, showLegend: true },
        tooltip: { mode: 'multi', sort: 'desc' },
      },
    },

  // One big number per series (latest value), coloured by thresholds.
  stat(title, description, unit, targets, w=6, h=5)::
    panel('stat', title, description, unit, targets, { w: w, h: h }) + {
      options: {
        reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
        colorMode: 'background',
        graphMode: 'none',
        textMode: 'value_and_name',
        justifyMode: 'auto',
        orientation: 'auto',
      },
    },

  // Horizontal bars of the latest value per series (instant queries: topk rankings).
  barGauge(title, description, unit, targets, w=8, h=8)::
    panel('bargauge', title, description, unit, targets, { w: w, h: h }) + {
      options: {
        reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
        displayMode: 'gradient',
        orientation: 'horizontal',
        showUnfilled: true,
        valueMode: 'color',
        namePlacement: 'auto',
        sizing: 'auto',
      },
    },

  // A table with one row per `key` (label names, e.g. ['instance', 'port']) and one column per
  // query in `columns` ([{ name, expr, unit }]): each query must aggregate `by` exactly the key
  // labels, so that the merge transformation joins them into one row per key. Columns are
  // renamed to their `name` and get their own unit; a column with `hidden: true` is left out (an
  // info metric's constant 1 whose labels are the point), and so are Time and the labels in `hide`.
  table(title, description, key, columns, w=24, h=8, hide=[])::
    local n = std.length(columns);
    local valueNames = [valueColumn(n, refIds[i]) for i in std.range(0, n - 1)];
    panel('table', title, description, 'short', [$.tableQuery(c.expr) for c in columns], { w: w, h: h }) + {
      fieldConfig+: {
        defaults+: { custom: { align: 'auto', cellOptions: { type: 'auto' }, filterable: false } },
        overrides: [
          { matcher: { id: 'byName', options: c.name }, properties: [{ id: 'unit', value: c.unit }] }
          for c in columns
        ],
      },
      options: { showHeader: true, cellHeight: 'sm', footer: { show: false, reducer: ['sum'], fields: '' } },
      transformations:
        (if n > 1 then [{ id: 'merge', options: {} }] else []) + [{
          id: 'organize',
          options: {
            excludeByName: { Time: true } + { [h]: true for h in hide } +
                           { [valueNames[i]]: true for i in std.range(0, n - 1) if std.get(columns[i], 'hidden', false) },
            indexByName: { [key[i]]: i for i in std.range(0, std.length(key) - 1) } +
                         { [columns[i].name]: std.length(key) + i for i in std.range(0, n - 1) },
            renameByName: { [valueNames[i]]: columns[i].name for i in std.range(0, n - 1) },
          },
        }],
    },

  // A markdown text panel; Grafana replaces dashboard variables ($port) in `content`.
  text(title, description, content, w=12, h=8):: {
    type: 'text',
    title: title,
    description: description,
    options: { mode: 'markdown', content: content, code: { language: 'plaintext', showLineNumbers: false, showMiniMap: false } },
    size:: { w: w, h: h },
  },

  // --- modifiers (add with `+`) ---
  // Threshold steps above the green base: [{ value, color }], lowest first.
  thresholds(steps):: { fieldConfig+: { defaults+: { thresholds: thresholdSteps(steps) } } },
  // Time series: draw the thresholds as dashed lines (a level that alerts or that matters).
  thresholdLines:: { fieldConfig+: { defaults+: { custom+: { thresholdsStyle: { mode: 'dashed' } } } } },
  // What to show when the query returns nothing (stat, table, and the panel's empty message).
  noValue(text):: { fieldConfig+: { defaults+: { noValue: text } } },
  min(value):: { fieldConfig+: { defaults+: { min: value } } },
  max(value):: { fieldConfig+: { defaults+: { max: value } } },
  decimals(value):: { fieldConfig+: { defaults+: { decimals: value } } },
  // A unit for the series of one query (refId 'A', 'B', ...) of a time series or stat panel.
  unitFor(refId, unit):: { fieldConfig+: { overrides+: [{ matcher: { id: 'byFrameRefID', options: refId }, properties: [{ id: 'unit', value: unit }] }] } },
  // Data links on every series or cell of the panel: [{ title, url }].
  links(links):: { fieldConfig+: { defaults+: { links: [l { targetBlank: false } for l in links] } } },
  // Data links on one table column only.
  columnLinks(column, links):: { fieldConfig+: { overrides+: [{ matcher: { id: 'byName', options: column }, properties: [{ id: 'links', value: [l { targetBlank: false } for l in links] }] }] } },
  // Value mappings: { '1': 'up', ... } shown instead of the number, with a colour.
  valueText(mapping)::
    local keys = std.objectFields(mapping);
    { fieldConfig+: { defaults+: { mappings: [{ type: 'value', options: { [keys[i]]: mapping[keys[i]] { index: i } for i in std.range(0, std.length(keys) - 1) } }] } } },
  // Sort a table by a column, highest first.
  sortBy(column):: { options+: { sortBy: [{ displayName: column, desc: true }] } },

  // --- variables ---
  datasourceVariable:: {
    name: 'datasource',
    label: 'Data source',
    type: 'datasource',
    query: 'prometheus',
    current: {},
    hide: 0,
    refresh: 1,
    regex: '',
    options: [],
  },

  // A variable filled from a PromQL `label_values(...)` query. Multi-select variables include
  // All as ".+" (not Grafana's list of every value, which breaks with many values). sort: 1
  // alphabetical, 3 numerical, ascending.
  queryVariable(name, label, query, multi=true, sort=1):: {
    name: name,
    label: label,
    type: 'query',
    datasource: datasource,
    query: { query: query, refId: name + '-variable' },
    definition: query,
    refresh: 2,
    sort: sort,
    hide: 0,
    regex: '',
    multi: multi,
    includeAll: multi,
    options: [],
    current: if multi then { selected: true, text: ['All'], value: ['$__all'] } else {},
  } + (if multi then { allValue: '.+' } else {}),

  // --- layout ---
  // A row of panels: { title, panels, collapsed }.
  row(title, panels, collapsed=false):: { title: title, panels: panels, collapsed: collapsed },

  // Places rows of panels on the grid and numbers them. Each panel goes where its top is lowest
  // (leftmost on a tie), as Grafana's own vertical compaction would move it: panels of equal
  // height fill a line left to right, and a short panel leaves room below it for the next. A
  // collapsed row carries its panels inside it (Grafana's format); the next row follows it.
  layout(rows)::
    // Plain comprehensions and folds: jsonnet 0.18's std.slice, std.max and std.min are written
    // in jsonnet and made this take seconds.
    local maxOf(a) = std.foldl(function(m, v) if v > m then v else m, a, a[0]);
    local minOf(a) = std.foldl(function(m, v) if v < m then v else m, a, a[0]);
    local place(s, p) =
      local heights = s.heights;
      local w = p.size.w;
      local tops = [maxOf([heights[j] for j in std.range(x, x + w - 1)]) for x in std.range(0, 24 - w)];
      local y = minOf(tops);
      local x = [i for i in std.range(0, 24 - w) if tops[i] == y][0];
      local next = [if i >= x && i < x + w then y + p.size.h else heights[i] for i in std.range(0, 23)];
      {
        heights: next,
        id: s.id + 1,
        panels: s.panels + [p { id: s.id, gridPos: { x: x, y: y, w: w, h: p.size.h } }],
      };
    local placeRow(state, row) =
      local placed = std.foldl(place, row.panels, { heights: std.makeArray(24, function(i) state.y + 1), id: state.id + 1, panels: [] });
      local header = {
        type: 'row',
        id: state.id,
        title: row.title,
        collapsed: row.collapsed,
        gridPos: { x: 0, y: state.y, w: 24, h: 1 },
        panels: if row.collapsed then placed.panels else [],
      };
      {
        id: placed.id,
        y: if row.collapsed then state.y + 1 else maxOf(placed.heights),
        panels: state.panels + [header] + (if row.collapsed then [] else placed.panels),
      };
    std.foldl(placeRow, rows, { id: 1, y: 0, panels: [] }).panels,

  // --- dashboard ---
  // A link in the dashboard header to another dashboard, carrying the time range and the
  // variables both dashboards share.
  dashboardLink(title, uid, tooltip):: {
    title: title,
    type: 'link',
    url: '/d/' + uid,
    tooltip: tooltip,
    icon: 'dashboard',
    includeVars: true,
    keepTime: true,
    asDropdown: false,
    targetBlank: false,
    tags: [],
  },

  // The dashboard: `config` is the mixin's _config (tags, refresh, timezone); `annotations` are
  // Prometheus annotation queries ({ name, expr, title, text, tags }).
  dashboard(config, uid, title, description, variables, rows, links=[], annotations=[]):: {
    uid: uid,
    title: title,
    description: description,
    tags: config.dashboardTags,
    timezone: config.dashboardTimezone,
    refresh: config.dashboardRefresh,
    time: { from: config.dashboardTimeFrom, to: 'now' },
    schemaVersion: 39,
    // Provisioned from the mixin: a change made in Grafana would be lost at the next render
    // (the linter's uneditable-dashboard rule).
    editable: false,
    graphTooltip: 1,
    fiscalYearStartMonth: 0,
    liveNow: false,
    timepicker: {},
    links: links,
    annotations: { list: [{
      builtIn: 1,
      datasource: { type: 'grafana', uid: '-- Grafana --' },
      enable: true,
      hide: true,
      iconColor: 'rgba(0, 211, 255, 1)',
      name: 'Annotations & Alerts',
      type: 'dashboard',
    }] + [{
      name: a.name,
      datasource: datasource,
      enable: true,
      hide: false,
      iconColor: 'red',
      expr: a.expr,
      step: '60s',
      titleFormat: a.title,
      textFormat: a.text,
      tagKeys: a.tags,
      useValueForTime: false,
    } for a in annotations] },
    templating: { list: variables },
    panels: $.layout(rows),
  },
}
