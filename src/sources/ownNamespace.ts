import { readlink } from 'node:fs/promises';
import { procPath } from './procfsFiles.js';

/** `net:[4026531840]`, the target of a /proc/<pid>/ns/net link: the namespace's inode. */
const NET_LINK = /^net:\[(\d+)\]$/;

/** The inode in a /proc/<pid>/ns/net link's target, or undefined for any other text. */
export function netnsInode(link: string): number | undefined {
  const m = NET_LINK.exec(link);
  return m ? Number(m[1]) : undefined;
}

/**
 * Whether <procfs>/net describes the network namespace this process is in, the one a netlink
 * query answers for. True for /proc and for a host /proc mounted into a hostNetwork pod; false
 * for fixture trees, which have no self/ns/net. Never throws.
 */
export async function showsOwnNetns(procfs: string): Promise<boolean> {
  try {
    const [theirs, ours] = await Promise.all([readlink(procPath(procfs, 'self/ns/net')), readlink('/proc/self/ns/net')]);
    return theirs === ours;
  } catch {
    return false;
  }
}

/** The inode of this process's network namespace, if --path.procfs shows that namespace (else undefined). */
export async function ownNetnsInode(procfs: string): Promise<number | undefined> {
  if (!(await showsOwnNetns(procfs))) return undefined;
  return netnsInode(await readlink('/proc/self/ns/net'));
}
