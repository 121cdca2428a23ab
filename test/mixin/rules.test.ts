import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ALERTS } from '../../opskit/alerts.js';
import { opskitFiles } from '../../opskit/files.js';
import { RECORDING_RULES } from '../../opskit/recording.js';
import { RULE_FILES } from '../../opskit/rules.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { haveTool } from '../helpers/tools.js';

const PROM = join(REPO_ROOT, 'deploy', 'prometheus');

describe('the operations kit files', () => {
  it.each(Object.entries(opskitFiles()))('%s is what `npm run opskit` renders from opskit/ (run it after a change)', (path, text) => {
    expect(readFileSync(join(REPO_ROOT, path), 'utf8')).toBe(text);
  });
});

describe('alert rules', () => {
  const file = parse(readFileSync(join(PROM, RULE_FILES.alerts), 'utf8')) as { groups: Array<{ rules: Array<Record<string, unknown>> }> };
  const rules = file.groups.flatMap((g) => g.rules) as Array<{ alert: string; for?: string; labels: { severity: string }; annotations: Record<string, string> }>;

  it('cover the cases the kit promises', () => {
    expect(rules.map((r) => r.alert)).toEqual(
      expect.arrayContaining([
        'TcpstateCloseWaitLeak',
        'TcpstateTimeWaitStorm',
        'TcpstateTimeWaitNearBucketLimit',
        'TcpstateListenQueueOverflow',
        'TcpstateListenQueueNearFull',
        'TcpstateEphemeralPortPressure',
        'TcpstateKeepaliveOff',
        'TcpstateKeepaliveDetectionSlow',
        'TcpstateRetransmitRatioHigh',
        'TcpstateExporterDown',
        'TcpstateCollectorFailing',
        'TcpstateSnapshotStale',
      ]),
    );
  });

  it.each(rules.map((r) => [r.alert, r] as const))('%s follows the alert hygiene rules', (name, r) => {
    expect(name).toMatch(/^[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]+)+$/);
    expect(r.for).toMatch(/^\d+[smh]$/);
    expect(['critical', 'warning', 'info']).toContain(r.labels.severity);
    expect(Object.keys(r.annotations).sort()).toEqual(['description', 'runbook_url', 'summary']);
    expect(r.annotations['summary']).not.toContain('{{');
    expect(r.annotations['summary']).toMatch(/[^.]\.$/);
    expect(r.annotations['description']).toMatch(/\{\{ \$(labels\.\w+|value[^}]*) \}\}/);
    expect(r.annotations['runbook_url']).toMatch(new RegExp(`/docs/runbooks/${name}\\.md$`));
    expect(existsSync(join(REPO_ROOT, 'docs', 'runbooks', `${name}.md`)), `docs/runbooks/${name}.md`).toBe(true);
  });

  it.each(ALERTS.map((a) => [a.alert, a] as const))('%s has unit tests that show it firing and not firing', (_name, a) => {
    expect(a.cases.some((c) => c.fires.length > 0)).toBe(true);
    expect(a.cases.some((c) => c.fires.length === 0)).toBe(true);
  });

  it('pass promtool check rules, with the recording rules', () => {
    if (!haveTool('promtool')) return;
    const r = spawnSync('promtool', ['check', 'rules', RULE_FILES.alerts, RULE_FILES.recording], { cwd: PROM, encoding: 'utf8' });
    expect(r.stdout + r.stderr).toMatch(/SUCCESS: 13 rules found[\s\S]*SUCCESS: 8 rules found/);
    expect(r.status).toBe(0);
  });

  it('pass their promtool unit tests', () => {
    if (!haveTool('promtool')) return;
    const r = spawnSync('promtool', ['test', 'rules', RULE_FILES.tests], { cwd: PROM, encoding: 'utf8' });
    expect(r.stdout + r.stderr).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });
});

describe('recording rules', () => {
  it.each(RECORDING_RULES.map((r) => [r.record] as const))('%s is named level:metric:operations', (name) => {
    expect(name).toMatch(/^[a-z_]+:tcpstate_[a-z0-9_]+:[a-z0-9_]+$/);
  });
});
