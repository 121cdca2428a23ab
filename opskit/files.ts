import { overviewDashboard } from './dashboards/overview.js';
import { renderAlertRules, renderAlertTests, renderRecordingRules, RULE_FILES } from './rules.js';

/** Every generated file of the operations kit, by path from the repository root. */
/** The Helm chart embeds the same rules and dashboards (Helm reads files only inside the chart). */
const CHART_FILES = 'charts/tcpstate-exporter/files';

export function opskitFiles(): Record<string, string> {
  const alerts = renderAlertRules();
  const recording = renderRecordingRules();
  const dashboard = `${JSON.stringify(overviewDashboard(), null, 2)}\n`;
  return {
    [`deploy/prometheus/${RULE_FILES.alerts}`]: alerts,
    [`deploy/prometheus/${RULE_FILES.recording}`]: recording,
    [`deploy/prometheus/${RULE_FILES.tests}`]: renderAlertTests(),
    'deploy/grafana/tcpstate-overview.json': dashboard,
    [`${CHART_FILES}/${RULE_FILES.alerts}`]: alerts,
    [`${CHART_FILES}/${RULE_FILES.recording}`]: recording,
    [`${CHART_FILES}/tcpstate-overview.json`]: dashboard,
  };
}
