import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const fixture = (name: string): string => join(REPO_ROOT, 'test', 'fixtures', name);
export const CLI = join(REPO_ROOT, 'dist', 'src', 'cli.js');
export const GOLDEN = join(REPO_ROOT, 'test', 'golden', 'metrics.txt');
/** The opt-in collectors too, over test/fixtures/proc-pods. */
export const GOLDEN_ALL = join(REPO_ROOT, 'test', 'golden', 'metrics-all-collectors.txt');
