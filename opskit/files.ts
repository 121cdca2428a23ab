import { overviewDashboard } from './dashboards/overview.js';
import { renderAlertRules, renderAlertTests, renderRecordingRules, RULE_FILES } from './rules.js';

/** Every generated file of the operations kit, by path from the repository root. */
export function opskitFiles(): Record<string, string> {
  return {
    [`deploy/prometheus/${RULE_FILES.alerts}`]: renderAlertRules(),
    [`deploy/prometheus/${RULE_FILES.recording}`]: renderRecordingRules(),
    [`deploy/prometheus/${RULE_FILES.tests}`]: renderAlertTests(),
    'deploy/grafana/tcpstate-overview.json': `${JSON.stringify(overviewDashboard(), null, 2)}\n`,
  };
}
