/** npm run mixin: writes what mixin/ renders into deploy/ and the Helm chart's files/. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { mixinFiles } from './mixinFiles.js';

const root = process.argv[2] ?? '.';
for (const [path, text] of Object.entries(mixinFiles(root))) {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
  console.log(`wrote ${path}`);
}
