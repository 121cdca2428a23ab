/**
 * npm run opskit: writes the operations kit from opskit/*.ts — deploy/prometheus (alert and
 * recording rules, promtool unit tests) and deploy/grafana (dashboards). A test fails when the
 * committed files differ from what this renders.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { opskitFiles } from './files.js';

const root = process.argv[2] ?? '.';
for (const [path, text] of Object.entries(opskitFiles())) {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
  console.log(`wrote ${path}`);
}
