import { realpathSync } from 'node:fs';
import { loadLibc } from '../native/libc.js';
import { parseSmaps, releasableMappings } from '../parse/procSelfSmaps.js';
import { readSmallFile } from '../sources/procfsFiles.js';

/**
 * Starting Node.js touches far more of its ~100 MB executable than a running exporter uses: the
 * dynamic loader resolves thousands of exported symbols (their names alone are 5 MB), V8
 * deserializes its startup snapshot, the bootstrap compiles built-in modules from source held in
 * the binary, and the first collection runs the optimizing compiler. Those pages stay mapped, and
 * counted in the resident set, for the life of the process: 41 MB of the node binary against
 * ~21 MB that a running exporter keeps touching (measured, docs/performance.md).
 *
 * This drops the executable's clean, read-only pages from our page tables with
 * madvise(MADV_DONTNEED). Pages still in use come straight back from the page cache on their next
 * touch (a minor fault); the rest stop counting against the exporter. Nothing leaves the page
 * cache: this lowers the resident set (what ps, top and the VmHWM peak show), not the host's or a
 * cgroup's page cache. Only the main executable is touched: the kernel refuses writes to a
 * running executable (ETXTBSY), so a page read back is always the bytes that were dropped, and a
 * mapping holding any copy-on-write page (the relocated RELRO segment) is never touched.
 */
const MADV_DONTNEED = 4;

export interface ReleasedPages {
  mappings: number;
  /** Resident bytes of those mappings before the call. */
  bytes: number;
}

type Madvise = (addr: number, length: number, advice: number) => number;
let madvise: Promise<Madvise> | undefined;

async function loadMadvise(): Promise<Madvise> {
  const { lib } = await loadLibc();
  return lib.func('int madvise(uintptr_t addr, size_t length, int advice)') as Madvise;
}

/**
 * Releases the executable's resident startup pages; undefined where that is not possible (no
 * /proc/self/smaps, no libc). Cheap enough to call at a few points of startup: one read of smaps
 * (~100 KB) and one madvise per mapping, ~2 ms. Always this process's own /proc, whatever
 * --path.procfs says (that is where the host's socket tables are read).
 */
export async function releaseStartupPages(): Promise<ReleasedPages | undefined> {
  if (process.platform !== 'linux') return undefined;
  let smaps: string;
  let file: string;
  try {
    smaps = await readSmallFile('/proc/self/smaps');
    file = realpathSync(process.execPath);
  } catch {
    return undefined;
  }
  const release = await (madvise ??= loadMadvise()).catch(() => undefined);
  if (!release) return undefined;
  let mappings = 0;
  let bytes = 0;
  for (const m of releasableMappings(parseSmaps(smaps), file)) {
    if (release(m.start, m.end - m.start, MADV_DONTNEED) !== 0) continue;
    mappings++;
    bytes += m.rssBytes;
  }
  return { mappings, bytes };
}
