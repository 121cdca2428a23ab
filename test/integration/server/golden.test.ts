import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { goldenBodies, GOLDEN_CASES } from '../../helpers/goldenBodies.js';
import { haveTool } from '../../helpers/tools.js';

/** The golden bodies (test/unit/metrics/goldenExposition.test.ts) through Prometheus' own linter. */
for (const c of GOLDEN_CASES) {
  describe(c.title, async () => {
    const { text } = await goldenBodies(c);

    it('passes promtool check metrics', () => {
      if (!haveTool('promtool')) return;
      const r = spawnSync('promtool', ['check', 'metrics'], { input: text.body, encoding: 'utf8' });
      expect(r.stdout + r.stderr).toBe('');
      expect(r.status).toBe(0);
    });
  });
}
