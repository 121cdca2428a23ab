/**
 * docs/runbooks against the alerts the mixin (mixin/, jsonnet) renders: one page per alert and
 * none for an alert that no longer exists; the severity, the `for` and every `_config` key a page
 * names are the mixin's; the `ss` filters match the roles the alert's expression can carry; every
 * tcpstate_* metric or recording rule named is one the exporter serves or the mixin records; every
 * link between the pages lands on an existing file and heading. Needs `jsonnet` (Debian's
 * package): skipped without it, a failure in CI.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GOLDEN_ALL, REPO_ROOT } from '../../helpers/paths.js';
import { haveTool } from '../../helpers/tools.js';

const RUNBOOKS = join(REPO_ROOT, 'docs', 'runbooks');

interface AlertRule {
  alert: string;
  expr: string;
  for: string;
  labels: { severity: string };
  annotations: Record<string, string>;
}
interface RuleGroups {
  groups: Array<{ rules: Array<Partial<AlertRule> & { record?: string }> }>;
}
interface Mixin {
  alerts: RuleGroups;
  rules: RuleGroups;
  config: Record<string, unknown>;
}

/** The mixin as a vendoring user gets it with the default _config. Throws with jsonnet's error. */
function evaluateMixin(): Mixin {
  const program = 'local m = import "mixin.libsonnet"; { alerts: m.prometheusAlerts, rules: m.prometheusRules, config: m._config }';
  const out = execFileSync('jsonnet', ['-J', join(REPO_ROOT, 'mixin'), '-e', program], { encoding: 'utf8', maxBuffer: 16 << 20 });
  return JSON.parse(out) as Mixin;
}

/** `a.b.c` looked up in nested objects; undefined when a step is missing. */
function lookup(root: Record<string, unknown>, path: string): unknown {
  let value: unknown = root;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object' || !(key in value)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** GitHub's heading anchor: lower case, punctuation but `-` and `_` dropped, spaces to `-`. */
const slug = (heading: string): string =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');

const anchorsOf = (markdown: string): Set<string> =>
  new Set([...markdown.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1]!)));

const pageFiles = readdirSync(RUNBOOKS).filter((f) => f.endsWith('.md'));
const pages = new Map(pageFiles.map((f) => [f, readFileSync(join(RUNBOOKS, f), 'utf8')]));
const alertPages = [...pages.keys()].filter((f) => f !== 'README.md');

describe.skipIf(!haveTool('jsonnet'))('docs/runbooks', () => {
  const mixin = evaluateMixin();
  const alerts = mixin.alerts.groups.flatMap((g) => g.rules) as AlertRule[];
  const byName = new Map(alerts.map((a) => [a.alert, a]));

  it('has one page per alert, titled with its name, and no page for an alert that does not exist', () => {
    expect(alertPages.map((f) => f.replace(/\.md$/, '')).sort()).toEqual([...byName.keys()].sort());
    for (const file of alertPages) expect(pages.get(file)!.split('\n')[0], file).toBe(`# ${file.replace(/\.md$/, '')}`);
  });

  it("is where each alert's runbook_url points", () => {
    for (const a of alerts) expect(a.annotations['runbook_url'], a.alert).toMatch(new RegExp(`/docs/runbooks/${a.alert}\\.md$`));
  });

  it("states each alert's severity, in its page and in the README index", () => {
    const readme = pages.get('README.md')!;
    const index = new Map([...readme.matchAll(/^\| \[(\w+)\]\(\1\.md\) \| (\w+) \|/gm)].map((m) => [m[1]!, m[2]!]));
    expect([...index.keys()].sort()).toEqual([...byName.keys()].sort());
    for (const a of alerts) {
      expect(index.get(a.alert), `README row of ${a.alert}`).toBe(a.labels.severity);
      expect(pages.get(`${a.alert}.md`)!.match(/\*\*Severity\*\* (\w+)/)?.[1], a.alert).toBe(a.labels.severity);
    }
  });

  it('names only _config keys that exist, with the defaults the mixin has', () => {
    for (const [file, text] of pages) {
      for (const m of text.matchAll(/`_config\.([A-Za-z0-9_.]+)`(?: \(default `([^`]*)`\))?/g)) {
        const value = lookup(mixin.config, m[1]!);
        expect(value, `${file}: _config.${m[1]}`).toBeDefined();
        if (m[2] !== undefined) expect(String(value), `${file}: default of _config.${m[1]}`).toBe(m[2]);
      }
    }
  });

  it("names the _config key that sets each alert's `for`, with the value the rule has", () => {
    for (const a of alerts) {
      const text = pages.get(`${a.alert}.md`)!;
      const forKeys = [...text.matchAll(/`_config\.([A-Za-z0-9_]+\.(?:for|\w+For))`/g)].map((m) => m[1]!);
      expect(forKeys.length, `${a.alert} names no _config ... for key`).toBeGreaterThan(0);
      expect(forKeys.map((k) => lookup(mixin.config, k)), a.alert).toContain(a.for);
    }
  });

  it('gives the ss port filter of every role the alert can carry', () => {
    const filter = { server: "'( sport = :", client: "'( dport = :" } as const;
    for (const a of alerts) {
      const selectors = [...a.expr.matchAll(/tcpstate_port_sockets\{([^}]*)\}/g)].map((m) => m[1]!);
      if (selectors.length === 0) continue;
      const roles = new Set(selectors.flatMap((s) => (/role="(server|client)"/.exec(s)?.[1] ?? 'server client').split(' ')));
      for (const role of roles) expect(pages.get(`${a.alert}.md`), `${a.alert}, role="${role}"`).toContain(filter[role as keyof typeof filter]);
    }
  });

  it('says how to do it in Kubernetes on every page', () => {
    for (const file of alertPages) expect(/Kubernetes|kubectl/.test(pages.get(file)!), file).toBe(true);
  });

  it('names only metrics the exporter serves and recording rules the mixin records', () => {
    const served = new Set([...readFileSync(GOLDEN_ALL, 'utf8').matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));
    const recorded = new Set(mixin.rules.groups.flatMap((g) => g.rules).map((r) => r.record ?? ''));
    for (const [file, text] of pages) {
      // A name followed by `*` or `_*` is a family pattern (tcpstate_sysctl_keepalive_*), not a name.
      for (const m of text.matchAll(/(?<![\w:])((?:\w+:)?tcpstate_[a-z0-9_]*[a-z0-9](?::\w+)?)(?![\w*])/g)) {
        const name = m[1]!;
        expect(name.includes(':') ? recorded.has(name) : served.has(name), `${file}: ${name}`).toBe(true);
      }
    }
  });

  it('links only to files and headings that exist', () => {
    for (const [file, text] of pages) {
      for (const m of text.matchAll(/\]\(([^)#\s]+\.md)?(?:#([^)\s]+))?\)/g)) {
        const [target, anchor] = [m[1], m[2]];
        if (target === undefined && anchor === undefined) continue;
        const path = target === undefined ? join(RUNBOOKS, file) : join(dirname(join(RUNBOOKS, file)), target);
        const linked = readFileSync(path, 'utf8');
        if (anchor !== undefined) expect(anchorsOf(linked).has(anchor), `${file} -> ${target ?? ''}#${anchor}`).toBe(true);
      }
    }
  });
});
