import { access } from 'node:fs/promises';
import type { SourceChoice } from '../config.js';
import { procPath } from './procfsFiles.js';
import { ProcfsSocketSource } from './procfsSocketSource.js';
import type { SocketSource } from './socketSource.js';
import { SysteminformationSocketSource } from './systeminformationSource.js';

/**
 * auto: the kernel's tables when the procfs root has net/tcp (Linux, or a fixture tree);
 * otherwise systeminformation, so `npm start` on a laptop still shows real, labelled data.
 */
export async function selectSocketSource(choice: SourceChoice, procfs: string): Promise<SocketSource> {
  if (choice === 'procfs') return new ProcfsSocketSource(procfs);
  if (choice === 'systeminformation') return new SysteminformationSocketSource();
  try {
    await access(procPath(procfs, 'net/tcp'));
    return new ProcfsSocketSource(procfs);
  } catch {
    return new SysteminformationSocketSource();
  }
}
