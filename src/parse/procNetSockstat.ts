import { ParseError } from './parseError.js';

/**
 * /proc/net/sockstat and /proc/net/sockstat6: one line per protocol, then key/value pairs:
 *
 *   sockets: used 290
 *   TCP: inuse 9 orphan 0 tw 2 alloc 12 mem 1
 *   TCP6: inuse 3
 *
 * `mem` counts pages (the tcp_mem unit), not bytes. Returns protocol → key → value.
 */
export function parseProcNetSockstat(file: string, text: string): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new ParseError(file, 'line without a "Proto:" prefix', line);
    const proto = line.slice(0, colon).trim();
    const parts = line.slice(colon + 1).trim().split(/\s+/).filter(Boolean);
    if (parts.length % 2 !== 0) throw new ParseError(file, `"${proto}" has a key without a value`, line);
    const fields = new Map<string, number>();
    for (let i = 0; i < parts.length; i += 2) {
      const raw = parts[i + 1]!;
      if (!/^\d+$/.test(raw)) throw new ParseError(file, `"${proto} ${parts[i]}" is not a count`, line);
      fields.set(parts[i]!, Number(raw));
    }
    out.set(proto, fields);
  }
  return out;
}
