import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSmaps, releasableMappings } from '../../src/parse/procSelfSmaps.js';
import { fixture } from '../helpers/paths.js';

// A running exporter's /proc/self/smaps, cut down to the node binary's mappings and a few others.
const text = readFileSync(fixture('smaps/node.smaps'), 'utf8');
const NODE = '/usr/bin/node';
const hex = (n: number): string => n.toString(16).padStart(8, '0');

describe('/proc/self/smaps', () => {
  const mappings = parseSmaps(text);

  it('reads every mapping with its range, permissions, path, Rss and Anonymous', () => {
    expect(mappings).toHaveLength(14);
    expect(mappings[0]).toEqual({ start: 0x400000, end: 0xb6f000, perms: 'r--p', path: NODE, rssBytes: 6708 * 1024, anonymousBytes: 0 });
    expect(mappings.find((m) => m.path === '[heap]')).toMatchObject({ perms: 'rw-p', rssBytes: 11576 * 1024, anonymousBytes: 11576 * 1024 });
    expect(mappings.filter((m) => m.path === '')).toHaveLength(2);
  });

  it('releases only the executable\'s clean, read-only, resident mappings', () => {
    const released = releasableMappings(mappings, NODE).map((m) => `${hex(m.start)} ${m.perms}`);
    expect(released).toEqual(['00400000 r--p', '00b6f000 r-xp', '00b72000 r-xp', '02601000 r--p', '7f64966c0000 r-xp']);
    // Kept: the RELRO segment (read-only, but 8 kB of relocated copy-on-write pages), the
    // writable data segment, a mapping with nothing resident, and every other file.
    const relro = mappings.find((m) => m.start === 0x563a000)!;
    expect(relro).toMatchObject({ perms: 'r--p', path: NODE, anonymousBytes: 8192 });
  });

  it('keeps a mapping whose Anonymous line is missing or cut off (truncated file)', () => {
    const cut = text.slice(0, text.indexOf('Anonymous:', text.indexOf('00b72000-')));
    const parsed = parseSmaps(cut);
    expect(parsed.at(-1)).toMatchObject({ start: 0xb72000, rssBytes: 21096 * 1024 });
    expect(Number.isNaN(parsed.at(-1)!.anonymousBytes)).toBe(true);
    expect(releasableMappings(parsed, NODE).map((m) => m.start)).toEqual([0x400000, 0xb6f000]);
  });

  it('keeps a deleted or replaced executable, and matches no other path', () => {
    expect(releasableMappings(parseSmaps(text.replaceAll(NODE, `${NODE} (deleted)`)), NODE)).toEqual([]);
    expect(releasableMappings(mappings, '/usr/bin/nod')).toEqual([]);
    expect(parseSmaps('')).toEqual([]);
    expect(parseSmaps('garbage\nRss: 12 kB\n')).toEqual([]);
  });
});
