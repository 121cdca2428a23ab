import { access } from 'node:fs/promises';
import type { SourceChoice } from '../config.js';
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
  if (choice === 'procfs' || (choice === 'auto' && platform === 'linux')) return new ProcfsSocketSource(procfs);
  if (choice === 'systeminformation') return new SysteminformationSocketSource();
  try {
    await access(procPath(procfs, 'net/tcp'));
    return new ProcfsSocketSource(procfs);
  } catch {
    return new SysteminformationSocketSource();
  }
}
