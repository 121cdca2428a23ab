import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * The suite in three groups, one project each (`npm run test:unit`, `test:integration`,
 * `test:deploy`; `npm test` runs the type check and all three):
 * - unit: in-process, against fixture trees and scripted inputs; no root, no build, no external
 *   tool, no kernel socket table, no process but the test's own. Seconds.
 * - integration: the built binary (dist/, which the npm script builds first), real sockets and
 *   network namespaces (root), other processes, the kernel's netlink, Prometheus, promtool,
 *   openssl, systemd.
 * - deploy: what users deploy: the mixin and what it renders, runbooks and docs/metrics.md, the
 *   Dockerfile, the Helm chart, the manifests, the systemd units, the npm package.
 * test/container has its own config (vitest.container.config.ts), run by scripts/container-test.sh
 * once it has built the image.
 */
const GROUPS = ['unit', 'integration', 'deploy'] as const;

const ROOT = fileURLToPath(new URL('.', import.meta.url));
const SKIP = new Set(['test/container', 'test/fixtures', ...GROUPS.map((g) => `test/${g}`)]);

/** Test files under test/ outside every group and test/container: no command would run them. */
function ungrouped(dir = 'test'): string[] {
  return readdirSync(ROOT + dir, { withFileTypes: true }).flatMap((e) => {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory()) return SKIP.has(path) ? [] : ungrouped(path);
    return e.name.endsWith('.test.ts') ? [path] : [];
  });
}
const lost = ungrouped();
if (lost.length > 0) throw new Error(`test files in no group (move each under test/unit, test/integration or test/deploy): ${lost.join(', ')}`);

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests open real sockets and start real processes; keep files in separate processes.
    pool: 'forks',
    projects: GROUPS.map((name) => ({ extends: true, test: { name, include: [`test/${name}/**/*.test.ts`] } })),
  },
});
