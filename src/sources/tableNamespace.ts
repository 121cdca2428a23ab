import { readlink } from 'node:fs/promises';
import type { SocketSourceName } from './socketSource.js';
import { procPath } from './procfsFiles.js';

/**
 * Which network namespace the socket table comes from, said once at start (one log line).
 *
 * netlink and systeminformation read the namespace this process is in. procfs reads
 * <procfs>/net/tcp, and <procfs>/net is the `self/net` of that procfs mount: the namespace of the
 * reading process too, even when the host's /proc is mounted into a container. So a container
 * given the host's /proc without the host's network counts its own sockets only. pid 1 under
 * --path.procfs is the host's init when that root is the host's /proc: a table from the same
 * namespace as pid 1 is the host's.
 */
export interface TableNamespace {
  /**
   * "host": the same as pid 1's; "own": a different one; "unknown": pid 1's unreadable; "none": a
   * fixture tree read by the procfs source; "mixed": a live namespace's table (netlink,
   * systeminformation) beside a --path.procfs that is a tree of files, not a procfs mount.
   */
  kind: 'host' | 'own' | 'unknown' | 'none' | 'mixed';
  /** net:[inode] of the table, when it comes from a live namespace. */
  netns?: string;
  /** net:[inode] of pid 1 under --path.procfs, when readable. */
  pid1Netns?: string;
  /** Why pid 1's namespace could not be read (EACCES without CAP_SYS_PTRACE, ENOENT in a fixture). */
  pid1Error?: string;
}

export async function tableNamespace(procfs: string, source: SocketSourceName): Promise<TableNamespace> {
  // procfs: the namespace of `self` as that mount sees it (a fixture tree has none).
  const tablePath = source === 'procfs' ? procPath(procfs, 'self/ns/net') : '/proc/self/ns/net';
  const netns = await readlink(tablePath).catch(() => undefined);
  if (netns === undefined) return { kind: 'none' };
  // The other collectors read files under --path.procfs: a tree of files there (no self/ns/net)
  // and a live table here describe two different hosts.
  if (source !== 'procfs' && (await readlink(procPath(procfs, 'self/ns/net')).catch(() => undefined)) === undefined) return { kind: 'mixed', netns };
  try {
    const pid1Netns = await readlink(procPath(procfs, '1/ns/net'));
    return { kind: pid1Netns === netns ? 'host' : 'own', netns, pid1Netns };
  } catch (err) {
    return { kind: 'unknown', netns, pid1Error: (err as NodeJS.ErrnoException).code ?? String(err) };
  }
}

/** The start-up log line for it: level, fields and message. */
export function describeTableNamespace(ns: TableNamespace, procfs: string): { level: 'info' | 'warn'; fields: Record<string, string>; msg: string } {
  switch (ns.kind) {
    case 'none':
      return { level: 'info', fields: { procfs }, msg: 'socket table read from files under --path.procfs, not from a live network namespace' };
    case 'mixed':
      return {
        level: 'warn',
        fields: { netns: ns.netns!, procfs },
        msg: "socket table from this process's live network namespace, while the other collectors read the files under --path.procfs, which is not a procfs mount: the two describe different hosts (--collector.source=procfs reads the table from the files too)",
      };
    case 'host':
      return { level: 'info', fields: { namespace: 'host', netns: ns.netns!, procfs }, msg: 'socket table from the host network namespace (the one pid 1 under --path.procfs is in)' };
    case 'own':
      return {
        level: 'warn',
        fields: { namespace: 'own', netns: ns.netns!, pid1_netns: ns.pid1Netns!, procfs },
        msg: "socket table from this process's own network namespace, not pid 1's: only its sockets are counted; to count the host's, run with the host's network (docker --network host, Kubernetes hostNetwork: true)",
      };
    case 'unknown':
      return {
        level: 'info',
        fields: { namespace: 'unknown', netns: ns.netns!, pid1_error: ns.pid1Error!, procfs },
        msg: "socket table from this process's network namespace; whether it is the host's is unknown (pid 1's namespace is unreadable)",
      };
  }
}
