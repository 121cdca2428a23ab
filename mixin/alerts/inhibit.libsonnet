// alertmanagerInhibitRules: a list for Alertmanager's `inhibit_rules:` (Alertmanager >= 0.22
// matcher syntax). Rendered to deploy/alertmanager/tcpstate-inhibit-rules.yml.
{
  local c = $._config,
  local exporter = 'TcpstateExporter(Down|NoSnapshot|Absent)',
  // Absent carries no instance labels (absent() has none to give), so it cannot be matched to an
  // instance's alerts: only Down and NoSnapshot are sources.
  local perInstance = 'TcpstateExporter(Down|NoSnapshot)',

  alertmanagerInhibitRules+:: [
    // Exhaustion of a destination says everything Pressure on it says.
    {
      source_matchers: ['alertname="TcpstateEphemeralPortExhaustion"'],
      target_matchers: ['alertname="TcpstateEphemeralPortPressure"'],
      equal: c.instanceLabels + ['family', 'remote_address', 'remote_port'],
    },
    // Without a fresh snapshot the other alerts of that exporter read stale or missing data.
    {
      source_matchers: ['alertname=~"%s"' % perInstance],
      target_matchers: ['alertname=~"Tcpstate.+"', 'alertname!~"%s"' % exporter],
      equal: c.instanceLabels,
    },
  ],
}
