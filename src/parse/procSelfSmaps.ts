/**
 * /proc/<pid>/smaps (proc(5)): one block per mapping, a header line then "Key:  value kB" lines.
 *
 *   00400000-00b6f000 r--p 00000000 fe:00 260689     /usr/bin/node
 *   Size:               7612 kB
 *   Rss:                6716 kB
 *   ...
 *   Anonymous:             0 kB
 *
 * Header fields: address range, permissions (rwx, then p private or s shared), file offset,
 * device, inode, and the path (absent for anonymous memory; "[heap]" and kin for special ones;
 * " (deleted)" appended once the file is gone). `Anonymous` counts the mapping's pages that are
 * no longer the file's own: copy-on-write copies, such as the relocated pages of a RELRO segment,
 * which the dynamic loader wrote and then made read-only.
 */
export interface Mapping {
  start: number;
  end: number;
  perms: string;
  path: string;
  rssBytes: number;
  anonymousBytes: number;
}

const HEADER = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) \S+ \S+ \S+ *(.*)$/;
const KB_FIELD = /^(Rss|Anonymous): +(\d+) kB$/;

/**
 * Mappings in file order. Lines that fit neither shape are skipped, so a kernel adding fields
 * changes nothing; a block whose Rss or Anonymous line is missing gets the safe reading
 * (Anonymous unknown counts as not 0: see releasableMappings).
 */
export function parseSmaps(text: string): Mapping[] {
  const mappings: Mapping[] = [];
  let current: Mapping | undefined;
  for (const line of text.split('\n')) {
    const header = HEADER.exec(line);
    if (header) {
      current = {
        start: Number.parseInt(header[1]!, 16),
        end: Number.parseInt(header[2]!, 16),
        perms: header[3]!,
        path: header[4]!.trim(),
        rssBytes: 0,
        anonymousBytes: Number.NaN,
      };
      mappings.push(current);
      continue;
    }
    const field = current ? KB_FIELD.exec(line) : null;
    if (!field || !current) continue;
    const bytes = Number(field[2]) * 1024;
    if (field[1] === 'Rss') current.rssBytes = bytes;
    else current.anonymousBytes = bytes;
  }
  return mappings;
}

/**
 * The mappings of `file` whose resident pages can be dropped and read again from the file when
 * next touched: read-only, resident, and with no copy-on-write page (Anonymous exactly 0). A
 * dropped copy-on-write page would come back as the file's original bytes: for a relocated GOT,
 * a crash.
 */
export function releasableMappings(mappings: readonly Mapping[], file: string): Mapping[] {
  return mappings.filter((m) => m.path === file && m.perms[1] !== 'w' && m.rssBytes > 0 && m.anonymousBytes === 0);
}
