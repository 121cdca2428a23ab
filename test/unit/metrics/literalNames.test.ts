import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { metricCatalog } from '../../../src/metrics/catalog.js';
import { buildExposition, renderedText } from '../../../src/metrics/exposition.js';
import { BUILD_INFO } from '../../../src/version.js';
import { ALL_COLLECTORS, fixturePoller } from '../../helpers/collect.js';
import { fixture, REPO_ROOT } from '../../helpers/paths.js';

/** The TypeScript source of every file under src/metrics, as one text. */
function metricsSource(): string {
  const dir = join(REPO_ROOT, 'src', 'metrics');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => readFileSync(join(dir, f), 'utf8'))
    .join('\n');
}

describe('served family names', async () => {
  const poller = fixturePoller(fixture('proc-pods'), undefined, undefined, ALL_COLLECTORS);
  await poller.collectOnce();
  // Every collector on, from a fixture root; prom-client's process_*/nodejs_* names are its own, not ours.
  const body = renderedText(await buildExposition(metricCatalog(BUILD_INFO, ALL_COLLECTORS.enabled), poller, { processMetrics: false }).render('prometheus'));
  const served = [...body.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!);

  it('are found by grep: each is written whole, as a quoted string, in src/metrics/', () => {
    expect(served.length).toBeGreaterThan(60);
    const source = metricsSource();
    const notLiteral = served.filter((name) => !new RegExp(`(['"\`])${name}\\1`).test(source));
    expect(notLiteral).toEqual([]);
  });
});
