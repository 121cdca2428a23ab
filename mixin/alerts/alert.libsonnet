// Builds one alerting rule the same way for every alert: severity label from its _config entry,
// static summary, templated description, runbook_url and dashboard_url.
local lib = import '../lib.libsonnet';

{
  // config: the mixin's _config; name: the alert name (also the runbook's file name);
  // settings: its _config entry ({ for, severity }, or forKey/severityKey name other fields);
  // link: { portLabel, portOptional, hasInstance } for lib.dashboardURL (default: the overview
  // for the alert's instance).
  new(config, name, settings, expr, summary, description, link={}, forKey='for', severityKey='severity'):: {
    alert: name,
    expr: expr,
    'for': settings[forKey],
    labels: { severity: settings[severityKey] },
    annotations: {
      summary: summary,
      description: description,
      runbook_url: lib.runbookURL(config, name),
      dashboard_url: lib.dashboardURL(config, std.get(link, 'portLabel'), std.get(link, 'portOptional', false), std.get(link, 'hasInstance', true)),
    },
  },
}
