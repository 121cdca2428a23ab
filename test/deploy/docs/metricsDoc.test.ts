import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderMetricsDoc } from '../../../src/tools/renderMetricsDoc.js';
import { GOLDEN_ALL, REPO_ROOT } from '../../helpers/paths.js';


const DOC = join(REPO_ROOT, 'docs', 'metrics.md');

describe('docs/metrics.md', () => {
  const doc = readFileSync(DOC, 'utf8');

  it('is what `npm run docs:metrics` renders from the catalog (run it after changing a metric)', () => {
    expect(doc).toBe(renderMetricsDoc());
  });

  it('documents every metric family the exporter serves with every collector on, and nothing it does not', () => {
    const served = new Set([...readFileSync(GOLDEN_ALL, 'utf8').matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));
    const documented = new Set([...doc.matchAll(/^\| `(tcpstate_[a-z0-9_]+)` \|/gm)].map((m) => m[1]!));
    expect([...served].sort()).toEqual([...documented].sort());
  });
});
