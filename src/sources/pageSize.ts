import { readFile } from 'node:fs/promises';
import { parseAuxvPageSize } from '../parse/auxvPageSize.js';
import { procPath } from './procfsFiles.js';

/** Assumed where auxv is unreadable or implausible (a fixture tree has none): x86-64's and most arm64 kernels' size. */
export const FALLBACK_PAGE_SIZE = 4096;

/**
 * The kernel's page size in bytes, the unit of sockstat `mem` and of net.ipv4.tcp_mem, from the
 * AT_PAGESZ entry of `<procfs>/self/auxv`; FALLBACK_PAGE_SIZE when that cannot be read. Never throws.
 */
export async function readPageSize(procfs: string): Promise<number> {
  try {
    return parseAuxvPageSize(await readFile(procPath(procfs, 'self/auxv'))) ?? FALLBACK_PAGE_SIZE;
  } catch {
    return FALLBACK_PAGE_SIZE;
  }
}

/** readPageSize, read on the first call and remembered (the page size never changes while running). */
export function pageSizeOnce(): (procfs: string) => Promise<number> {
  let size: Promise<number> | undefined;
  return (procfs) => (size ??= readPageSize(procfs));
}
