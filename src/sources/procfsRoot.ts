import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { errorMessage } from '../model/errno.js';
import { pendingReads } from './pendingReads.js';
import { isNotFound, procPath } from './procfsFiles.js';

/**
 * Why --path.procfs cannot be used, as one line, or null when it can. Checked at start, so a typo
 * in a DaemonSet stops the exporter (exit 2, as node_exporter refuses to start) instead of running
 * "ready" with every collector failed:
 * - the root must exist and be a directory;
 * - when the socket table is to be read from it (`socketTable`), net/tcp must exist under it
 *   (a fixture tree with a header-only net/tcp is fine; net/tcp6 is optional: IPv6 may be off).
 * A root that does not answer within `timeoutMs` (a dead NFS or FUSE server) is refused too.
 */
export async function procfsRootProblem(procfs: string, socketTable: boolean, timeoutMs: number): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`--path.procfs: ${procfs} did not answer within ${timeoutMs / 1000}s`), timeoutMs);
  });
  try {
    return await Promise.race([check(procfs, socketTable), expired]);
  } finally {
    clearTimeout(timer);
  }
}

async function check(procfs: string, socketTable: boolean): Promise<string | null> {
  try {
    const st = await pendingReads.track(procfs, 'stat', () => stat(procfs));
    if (!st.isDirectory()) return `--path.procfs: ${procfs} is not a directory`;
  } catch (err) {
    if (isNotFound(err)) return `--path.procfs: ${procfs} does not exist`;
    return `--path.procfs: ${procfs}: ${errorMessage(err)}`;
  }
  if (!socketTable) return null;
  const table = procPath(procfs, 'net/tcp');
  try {
    await pendingReads.track(table, 'stat', () => access(table, constants.R_OK));
  } catch (err) {
    if (isNotFound(err)) return `--path.procfs: ${procfs} has no socket table (${table} does not exist); is it a procfs mount?`;
    return `--path.procfs: cannot read the socket table: ${errorMessage(err)}`;
  }
  return null;
}
