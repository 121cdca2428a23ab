// PromQL fragments for the dashboards: every selector carries _config.tcpstateSelector and the
// dashboard's job and instance variables, so each query shows only what the variables select.
local lib = import '../lib.libsonnet';

{
  // `matchers`: the variable matchers of one dashboard, e.g. ['job=~"$job"', 'instance=~"$instance"'].
  new(config, matchers):: {
    // `{<tcpstateSelector>,job=~"$job", instance=~"$instance", <extra>}`
    sel(extra=''):: lib.selector(config, std.join(', ', matchers + (if extra == '' then [] else [extra]))),
    // Per-second rate of a counter over Grafana's $__rate_interval (at least 4 scrape intervals).
    rate(metric, extra=''):: 'rate(%s%s[$__rate_interval])' % [metric, self.sel(extra)],
    // `sum by (<by>) (rate(...))`
    sumRate(by, metric, extra=''):: 'sum by (%s) (%s)' % [by, self.rate(metric, extra)],
  },
}
