import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PARSE_OPTIONS } from '../../../src/config/flags.js';
import { deepMerge } from '../../helpers/deepMerge.js';
import { REPO_ROOT } from '../../helpers/paths.js';

const CHART = join(REPO_ROOT, 'helm', 'tcpstate-exporter');
const read = (path: string): string => readFileSync(join(CHART, path), 'utf8');
const values = parse(read('values.yaml')) as Record<string, unknown>;
const schema = JSON.parse(read('values.schema.json')) as object;
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
const templates = readdirSync(join(CHART, 'templates')).map((f) => [f, read(join('templates', f))] as const);
const modeFiles = readdirSync(CHART).filter((f) => /^values-.+\.yaml$/.test(f));

/** Checks of the chart's sources; renderedManifests.test.ts runs helm itself (lint, template). */
describe('Helm chart helm/tcpstate-exporter', () => {
  it.each([['values.yaml'], ...modeFiles.map((f) => [f])])('%s (over values.yaml) validates against values.schema.json', (file) => {
    const merged = file === 'values.yaml' ? values : deepMerge(values, parse(read(file)) as Record<string, unknown>);
    expect(validate(merged), JSON.stringify(validate.errors)).toBe(true);
  });

  it('has a values file for each mode', () => {
    expect(modeFiles.sort()).toEqual(['values-node-and-pods.yaml', 'values-node-only.yaml']);
  });

  it.each([
    ['a port that is not a number', { port: 'http' }],
    ['an unknown key', { colectors: {} }],
    ['a bad duration', { collectors: { interval: 'fifteen seconds' } }],
    ['an extra argument that is not a flag', { extraArgs: ['rm -rf /'] }],
  ])('rejects %s', (_name, override) => {
    expect(validate(deepMerge(values, override))).toBe(false);
  });

  it.each(templates.map(([f, text]) => [f, text] as const))('%s uses only .Values paths that values.yaml defines', (_f, text) => {
    for (const [, path] of text.matchAll(/\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g)) {
      let node: unknown = values;
      for (const key of path!.slice(1).split('.')) {
        expect(node !== null && typeof node === 'object' && key in node, `.Values${path}`).toBe(true);
        node = (node as Record<string, unknown>)[key];
      }
    }
  });

  it.each(templates.map(([f, text]) => [f, text] as const))('%s has balanced actions and blocks', (_f, text) => {
    expect(text.split('{{').length).toBe(text.split('}}').length);
    const stack: string[] = [];
    for (const [, word] of text.matchAll(/\{\{-?\s*(if|with|range|define|block|else|end)\b/g)) {
      if (word === 'end') expect(stack.pop(), 'an {{ end }} without a block').toBeDefined();
      else if (word !== 'else') stack.push(word!);
    }
    expect(stack).toEqual([]);
  });

  it('passes the exporter only flags it knows', () => {
    const flags = [...read('templates/daemonset.yaml').matchAll(/^\s*- (--[a-z.-]+)/gm)].map((m) => m[1]!);
    expect(flags.length).toBeGreaterThan(5);
    // The parser's own table, not --help's text: '--collector.netns' must not pass as a prefix of '--collector.netns.max'.
    for (const flag of flags) expect(Object.keys(PARSE_OPTIONS), flag).toContain(flag.slice(2));
  });

  it('embeds the same rules and dashboards as deploy/', () => {
    for (const [embedded, original] of [
      ['files/tcpstate-alerts.yml', 'deploy/prometheus/tcpstate-alerts.yml'],
      ['files/tcpstate-recording.yml', 'deploy/prometheus/tcpstate-recording.yml'],
      ['files/tcpstate-overview.json', 'deploy/grafana/tcpstate-overview.json'],
      ['files/tcpstate-port.json', 'deploy/grafana/tcpstate-port.json'],
    ] as const) {
      expect(read(embedded), embedded).toBe(readFileSync(join(REPO_ROOT, original), 'utf8'));
    }
  });

  it('versions the app as package.json does', () => {
    const chart = parse(read('Chart.yaml')) as { appVersion: string };
    expect(chart.appVersion).toBe((JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version);
  });

  it('adds capabilities only with the collectors that need them, and runs non-root otherwise', () => {
    const ds = read('templates/daemonset.yaml');
    expect(ds).toMatch(/drop: \[ALL\]/);
    expect(ds).toMatch(/readOnlyRootFilesystem: true/);
    expect(ds).toMatch(/\{\{- if include "tcpstate-exporter.hostProcesses" \. \}\}[\s\S]*hostPID: true/);
    expect(ds).toMatch(/runAsNonRoot: true\s+runAsUser: 65532/);
  });
});
