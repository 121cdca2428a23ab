// Selector helpers shared by alerts, rules and dashboards.
{
  // `{<tcpstateSelector>,<extra>}` with empty parts left out.
  selector(config, extra=''):: '{' + std.join(',', std.filter(function(s) s != '', [config.tcpstateSelector, extra])) + '}',
  // `by (job, instance)` / `on (job, instance)` lists.
  instanceBy(config):: std.join(', ', config.instanceLabels),
  // `up{a} or up{b}` for every configured up selector.
  up(config):: std.join(' or ', ['up{%s}' % s for s in config.upSelectors]),
}
