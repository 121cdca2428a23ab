// Helpers for the promtool unit tests (https://prometheus.io/docs/prometheus/latest/configuration/unit_testing_rules/)
// of the mixin's alerts. Every input series belongs to one target scraped by the stock
// kubernetes-service-endpoints job, so a job matcher anywhere would make the firing cases fail,
// and carries a label relabelling added (namespace), so an alert that drops target labels (a
// one-to-one `on (job, instance)` match keeps only those two) fails too.
// Expected alerts carry their labels, the description as Alertmanager renders it (written out
// here, not computed from the rule's template) and the dashboard link; summary and runbook_url
// are static and taken from the rule.
local mixin = import '../mixin.libsonnet';

local rules = { [r.alert]: r for g in mixin.prometheusAlerts.groups for r in g.rules };

{
  // The default target of every series, and the instance as `urlquery` escapes it in links.
  target:: { job: 'kubernetes-service-endpoints', instance: '10.0.0.7:9816', namespace: 'monitoring' },
  local escapedInstance = '10.0.0.7%3A9816',

  // Every alert name of the mixin, in rule order.
  alertNames:: [r.alert for g in mixin.prometheusAlerts.groups for r in g.rules],

  // `metric{label="value",...}` with the target's labels (overridable through labels).
  selector(metric, labels={}, withTarget=true)::
    local all = (if withTarget then self.target else {}) + labels;
    metric + '{' + std.join(',', ['%s="%s"' % [k, all[k]] for k in std.objectFields(all)]) + '}',

  // One input series in promtool's expanding notation ('0+60x30', '1x10 _x5', ...), one sample
  // per minute.
  series(metric, labels, values, withTarget=true):: { series: $.selector(metric, labels, withTarget), values: values },

  // Links as the rule renders them for the default target.
  portDashboard(port, instance=escapedInstance):: 'http://grafana.example.com/d/tcpstate-port?var-instance=%s&var-port=%s' % [instance, port],
  overviewDashboard(instance=escapedInstance):: 'http://grafana.example.com/d/tcpstate-overview' + (if instance == '' then '' else '?var-instance=' + instance),

  // An alert expected to fire: its labels beyond the target's and the rule's severity, its
  // description, its dashboard link. withTarget: false for an alert that has no target labels.
  fires(labels, description, dashboard, withTarget=true):: { labels: labels, description: description, dashboard: dashboard, withTarget: withTarget },

  // What must be firing at one evaluation time ([] = nothing).
  at(evalTime, fires=[]):: { evalTime: evalTime, fires: fires },

  // One promtool test: input series, and for each evaluation time the alerts of `alert` firing.
  case(alert, name, inputSeries, evaluations)::
    local rule = rules[alert];
    {
      name: '%s: %s' % [alert, name],
      interval: '1m',
      input_series: inputSeries,
      alert_rule_test: [
        {
          eval_time: e.evalTime,
          alertname: alert,
          exp_alerts: [
            {
              exp_labels: (if f.withTarget then $.target else {}) + f.labels + { severity: rule.labels.severity },
              exp_annotations: {
                summary: rule.annotations.summary,
                description: f.description,
                runbook_url: rule.annotations.runbook_url,
                dashboard_url: f.dashboard,
              },
            }
            for f in e.fires
          ],
        }
        for e in evaluations
      ],
    },

  // One promtool test of PromQL (recording rules): expected samples at one time.
  expr(name, inputSeries, evalTime, exprs):: {
    name: name,
    interval: '1m',
    input_series: inputSeries,
    promql_expr_test: [{ expr: e.expr, eval_time: evalTime, exp_samples: e.samples } for e in exprs],
  },
}
