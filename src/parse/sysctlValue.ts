import { ParseError } from './parseError.js';

/**
 * A /proc/sys file holds one line of whitespace-separated integers (one for most, two for
 * ip_local_port_range, tab-separated). Returns them in order; `count` says how many are expected.
 */
export function parseSysctlIntegers(file: string, text: string, count: number): number[] {
  const parts = text.trim().split(/\s+/).filter(Boolean);
  if (parts.length !== count) throw new ParseError(file, `expected ${count} integer(s), found ${parts.length}`, text);
  return parts.map((p) => {
    if (!/^-?\d+$/.test(p)) throw new ParseError(file, 'not an integer', text);
    return Number(p);
  });
}
