// Selector and template helpers shared by alerts, rules and dashboards. Every function takes the
// mixin's _config (config.libsonnet) and returns a string.
{
  // `{<tcpstateSelector>,<extra>}` with empty parts left out; `{}` when both are empty.
  selector(config, extra=''):: '{' + std.join(',', std.filter(function(s) s != '', [config.tcpstateSelector, extra])) + '}',

  // `name{<tcpstateSelector>,<extra>}`, or the bare name when both are empty: a tcpstate_* series
  // (or a recording rule made from one).
  metric(config, name, extra=''):: (
    local s = self.selector(config, extra);
    if s == '{}' then name else name + s
  ),

  // A threshold as PromQL reads it: %s would print 0.8 as 0.80000000000000004.
  num(x):: if std.isNumber(x) then '%.15g' % x else x,

  // `job, instance`: the labels naming one exporter, for `by (...)` / `on (...)` lists.
  instanceBy(config):: std.join(', ', config.instanceLabels),

  // `on (job, instance)`.
  onInstance(config):: 'on (%s)' % self.instanceBy(config),

  // `up{<tcpstateSelector>,<upSelector>}`, one per configured up selector.
  upSelectors(config):: ['up' + self.selector(config, s) for s in config.upSelectors],

  // `up{a} or up{b}` for every configured up selector.
  up(config):: std.join(' or ', self.upSelectors(config)),

  // An alert template printing a per-second rate: `humanize` prints 0.2 as "200m", which reads as
  // millions or minutes, so values below 1 are printed plainly.
  perSecondTemplate:: '{{ if lt $value 1.0 }}{{ printf "%.2g" $value }}{{ else }}{{ $value | humanize }}{{ end }} per second',

  // The runbook of an alert.
  runbookURL(config, alert):: config.runbookURLPattern % alert,

  // The dashboard an alert links to: the per-port drill-down for the alert's instance and port
  // when the alert has a port label (portLabel: "port", or "remote_port" for a destination),
  // else the overview for its instance. portOptional: the alert has the port label only in some
  // of its series (chosen at notification time). hasInstance: false for an alert with no labels.
  dashboardURL(config, portLabel=null, portOptional=false, hasInstance=true)::
    local instance = if hasInstance then '?var-instance={{ $labels.instance | urlquery }}' else '';
    local overview = '%s/d/%s%s' % [config.grafanaURL, config.dashboardUIDs.overview, instance];
    local port = '%s/d/%s%s&var-port={{ $labels.%s | urlquery }}' % [config.grafanaURL, config.dashboardUIDs.port, instance, portLabel];
    if portLabel == null then overview
    else if portOptional then '{{ if $labels.%s }}%s{{ else }}%s{{ end }}' % [portLabel, port, overview]
    else port,
}
