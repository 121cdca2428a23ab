import { access, readlink } from 'node:fs/promises';
import type { Log } from '../model/log.js';
import type { SourceChoice } from '../config.js';
import type { SocketSources } from '../collectors/socketsCollector.js';
import { openSockDiag } from './netlink/libcNetlink.js';
import { queryListenerBacklogs } from './netlink/listenerBacklogs.js';
import { NetlinkSocketSource } from './netlinkSocketSource.js';
import { procPath } from './procfsFiles.js';
import { ProcfsSocketSource } from './procfsSocketSource.js';
import { SysteminformationSocketSource } from './systeminformationSource.js';

/**
 * Picks the socket sources for --collector.source:
 * - auto on Linux: netlink sock_diag (what `ss` uses; no text formatting) when --path.procfs shows
 *   this process's own network namespace and a sock_diag socket opens, with procfs as the
 *   per-cycle fallback; otherwise procfs, said once in the log. Never systeminformation on Linux.
 * - auto elsewhere: a procfs tree if one is given (a fixture), else systeminformation, so
 *   `npm start` on a laptop still shows real, clearly labelled data.
 * - netlink / procfs / systeminformation: that source alone (procfs still joins backlogs over
 *   netlink when it can).
 */
export async function selectSocketSources(
  choice: SourceChoice,
  procfs: string,
  log: Log,
  platform: NodeJS.Platform = process.platform,
): Promise<SocketSources> {
  const ownNetns = await showsOwnNetns(procfs);
  const procfsSource = (): ProcfsSocketSource => new ProcfsSocketSource(procfs, ownNetns ? () => queryListenerBacklogs() : undefined);
  switch (choice) {
    case 'netlink':
      return { primary: new NetlinkSocketSource() };
    case 'procfs':
      return { primary: procfsSource() };
    case 'systeminformation':
      return { primary: new SysteminformationSocketSource() };
    case 'auto':
      break;
  }
  if (platform === 'linux') {
    if (!ownNetns) return { primary: procfsSource() };
    const why = await netlinkUnavailable();
    if (why === null) return { primary: new NetlinkSocketSource(), fallback: procfsSource() };
    log.warn({ err: why }, 'sock_diag netlink unavailable; reading /proc/net/tcp{,6} instead');
    return { primary: procfsSource() };
  }
  try {
    await access(procPath(procfs, 'net/tcp'));
    return { primary: procfsSource() };
  } catch {
    return { primary: new SysteminformationSocketSource() };
  }
}

async function netlinkUnavailable(): Promise<string | null> {
  try {
    (await openSockDiag()).close();
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/**
 * Whether <procfs>/net describes the network namespace this process is in, the one a netlink
 * query answers for. True for /proc and for a host /proc mounted into a hostNetwork pod; false
 * for fixture trees, which have no self/ns/net.
 */
export async function showsOwnNetns(procfs: string): Promise<boolean> {
  try {
    const [theirs, ours] = await Promise.all([readlink(procPath(procfs, 'self/ns/net')), readlink('/proc/self/ns/net')]);
    return theirs === ours;
  } catch {
    return false;
  }
}
