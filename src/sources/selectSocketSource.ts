import { access } from 'node:fs/promises';
import { errorMessage } from '../model/errno.js';
import type { Log } from '../model/log.js';
import { FallbackSocketSource } from './fallbackSocketSource.js';
import { openSockDiag } from './netlink/libcNetlink.js';
import { queryListenerBacklogs } from './netlink/listenerBacklogs.js';
import { NetlinkSocketSource } from './netlinkSocketSource.js';
import { showsOwnNetns } from './ownNamespace.js';
import { procPath } from './procfsFiles.js';
import { ProcfsSocketSource } from './procfsSocketSource.js';
import type { SocketSource, SocketSourceName } from './socketSource.js';
import { SysteminformationSocketSource } from './systeminformationSource.js';

/** --collector.source. */
export type SocketSourceChoice = 'auto' | SocketSourceName;

/**
 * Picks the socket source for --collector.source:
 * - auto on Linux: netlink sock_diag (what `ss` uses; no text formatting) when --path.procfs shows
 *   this process's own network namespace and a sock_diag socket opens, with procfs as the
 *   per-walk fallback (a FallbackSocketSource); otherwise procfs, said once in the log. Never
 *   systeminformation on Linux.
 * - auto elsewhere: a procfs tree if one is given (a fixture), else systeminformation, so
 *   `npm start` on a laptop still shows real, clearly labelled data.
 * - netlink / procfs / systeminformation: that source alone (procfs still joins backlogs over
 *   netlink when it can).
 */
export async function selectSocketSource(
  choice: SocketSourceChoice,
  procfs: string,
  log: Log,
  platform: NodeJS.Platform = process.platform,
): Promise<SocketSource> {
  const ownNetns = await showsOwnNetns(procfs);
  const procfsSource = (): ProcfsSocketSource => new ProcfsSocketSource(procfs, ownNetns ? () => queryListenerBacklogs() : undefined);
  switch (choice) {
    case 'netlink':
      return new NetlinkSocketSource();
    case 'procfs':
      return procfsSource();
    case 'systeminformation':
      return new SysteminformationSocketSource();
    case 'auto':
      break;
  }
  if (platform === 'linux') {
    if (!ownNetns) return procfsSource();
    const why = await netlinkUnavailable();
    if (why === null) return new FallbackSocketSource(new NetlinkSocketSource(), procfsSource());
    log.warn({ err: why }, 'sock_diag netlink unavailable; reading /proc/net/tcp{,6} instead');
    return procfsSource();
  }
  try {
    await access(procPath(procfs, 'net/tcp'));
    return procfsSource();
  } catch {
    return new SysteminformationSocketSource();
  }
}

async function netlinkUnavailable(): Promise<string | null> {
  try {
    (await openSockDiag()).close();
    return null;
  } catch (err) {
    return errorMessage(err);
  }
}
