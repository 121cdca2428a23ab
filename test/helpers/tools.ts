import { spawnSync } from 'node:child_process';

/**
 * Whether an external tool is installed. In CI (CI=true) a missing tool is a failure, not a
 * skip: .ci/run installs them, and a test that silently skips there cannot fail.
 */
export function haveTool(name: string): boolean {
  const found = spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
  if (!found && process.env['CI'] === 'true') throw new Error(`${name} is required in CI but not installed`);
  return found;
}
