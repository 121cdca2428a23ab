import { readdirSync, readlinkSync } from 'node:fs';
import { netnsInode } from './ownNamespace.js';
import { procPath } from './procfsFiles.js';
import { refusalCode, UnreadableTally } from './unreadableProcesses.js';

export interface NetworkNamespace {
  /** Inode of the namespace (the number in "net:[4026531840]"): its identity on this host. */
  inode: number;
  /**
   * Its lowest pids, in ascending order, never empty (at most NAMESPACE_PIDS). `pids[0]` is the
   * one read first: for a pod, normally its sandbox ("pause") process; the next stands in when
   * one exits between discovery and the walk. Pids wrap, so the lowest is not always the
   * oldest: a short-lived process may be it.
   */
  pids: [number, ...number[]];
  /** The namespace of init (pid 1 of --path.procfs), or of the lowest pid whose namespace is readable. */
  host: boolean;
}

export interface NamespaceDiscovery {
  namespaces: NetworkNamespace[];
  /** Processes whose ns/net link could not be read (another user's, without CAP_SYS_PTRACE). */
  unreadable: number;
  /** The same processes by errno code: EACCES (ptrace_may_access() refused) or EPERM. */
  unreadableErrors: Record<string, number>;
}

/** Pids kept per namespace: the lowest and two to stand in for it. */
export const NAMESPACE_PIDS = 3;

/**
 * The distinct network namespaces of the processes under --path.procfs: host first, then by
 * inode. The host's is pid 1's; `guessHost` (default: running as root) takes the lowest readable
 * pid's when pid 1's link cannot be read. A namespace no process is in (one kept only by a bind mount, such as `ip netns add`
 * before anything runs in it) is not found; every pod has its sandbox process.
 */
export function discoverNetworkNamespaces(procfs: string, guessHost = process.getuid?.() === 0): NamespaceDiscovery {
  const pids = readdirSync(procfs)
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .sort((a, b) => a - b);
  const byInode = new Map<number, [number, ...number[]]>();
  let hostInode: number | undefined;
  const refused = new UnreadableTally();
  for (const pid of pids) {
    let link: string;
    try {
      link = readlinkSync(procPath(procfs, `${pid}/ns/net`));
    } catch (err) {
      const code = refusalCode(err);
      if (code !== undefined) refused.add(code);
      continue; // ENOENT: exited, or a kernel thread
    }
    const inode = netnsInode(link);
    if (inode === undefined) continue;
    // Normally pid 1. Where init's link is unreadable to root (a sandbox whose init is not
    // dumpable), the lowest readable pid: the oldest process, which the host's own services are.
    // Not for an unprivileged exporter: the lowest pid it can read is its own, in its pod, and
    // that is no more the host than any other (every namespace is then named by inode).
    if (pid === 1 || guessHost) hostInode ??= inode;
    const found = byInode.get(inode);
    if (!found) byInode.set(inode, [pid]);
    else if (found.length < NAMESPACE_PIDS) found.push(pid);
  }
  const namespaces = [...byInode].map(([inode, pids]): NetworkNamespace => ({ inode, pids, host: inode === hostInode }));
  namespaces.sort((a, b) => Number(b.host) - Number(a.host) || a.inode - b.inode);
  return { namespaces, unreadable: refused.unreadable, unreadableErrors: refused.unreadableErrors };
}
