import { access, readlink } from 'node:fs/promises';
import type { SourceChoice } from '../config.js';
import { queryListenerBacklogs } from './netlink/listenerBacklogs.js';
import { procPath } from './procfsFiles.js';
import { ProcfsSocketSource } from './procfsSocketSource.js';
import type { SocketSource } from './socketSource.js';
import { SysteminformationSocketSource } from './systeminformationSource.js';

/**
 * auto: on Linux always the kernel's tables (a missing net/tcp there is an error to report, not a
 * reason to shell out); elsewhere the procfs tree if one is given (a fixture), otherwise
 * systeminformation, so `npm start` on a laptop still shows real, labelled data.
 */
export async function selectSocketSource(
  choice: SourceChoice,
  procfs: string,
  platform: NodeJS.Platform = process.platform,
): Promise<SocketSource> {
  if (choice === 'procfs' || (choice === 'auto' && platform === 'linux')) {
    return new ProcfsSocketSource(procfs, (await showsOwnNetns(procfs)) ? () => queryListenerBacklogs() : undefined);
  }
  if (choice === 'systeminformation') return new SysteminformationSocketSource();
  try {
    await access(procPath(procfs, 'net/tcp'));
    return new ProcfsSocketSource(procfs);
  } catch {
    return new SysteminformationSocketSource();
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
