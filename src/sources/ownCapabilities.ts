import { parseEffectiveCapabilities } from '../parse/capabilities.js';
import { procPath, readSmallFile } from './procfsFiles.js';

/**
 * The exporter's own effective capabilities, from <procfs>/self/status (parse/capabilities.ts),
 * a bit mask; undefined when the file is missing, unreadable or without a CapEff line (a fixture
 * tree without self/, a procfs of another kind). Never throws. Read through the pool like every
 * file under --path.procfs.
 */
export async function readEffectiveCapabilities(procfs: string): Promise<bigint | undefined> {
  try {
    return parseEffectiveCapabilities(await readSmallFile(procPath(procfs, 'self/status')));
  } catch {
    return undefined;
  }
}
