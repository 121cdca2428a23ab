import { ParseError } from './parseError.js';

/**
 * /proc/net/snmp and /proc/net/netstat share one layout: per protocol two lines, the first
 * naming the fields, the second giving their values in the same order, both prefixed with the
 * protocol and a colon:
 *
 *   Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens …
 *   Tcp: 1 200 120000 -1 5 …
 *
 * Values are decimal and may be negative (Tcp MaxConn is -1). Returns protocol → field → value.
 * A header without its value line, or a value line of a different length, is an error.
 */
export function parseProcNetSnmp(file: string, text: string): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  for (let i = 0; i < lines.length; i += 2) {
    const header = lines[i]!;
    const values = lines[i + 1];
    const proto = prefixOf(header);
    if (proto === null) throw new ParseError(file, 'line without a "Proto:" prefix', header);
    if (values === undefined) throw new ParseError(file, `"${proto}" header without a value line`, header);
    if (prefixOf(values) !== proto) throw new ParseError(file, `"${proto}" header followed by another protocol`, values);
    const names = fieldsOf(header);
    const numbers = fieldsOf(values);
    if (names.length !== numbers.length) {
      throw new ParseError(file, `"${proto}" has ${names.length} names but ${numbers.length} values`, values);
    }
    const fields = new Map<string, number>();
    names.forEach((name, k) => {
      const raw = numbers[k]!;
      if (!/^-?\d+$/.test(raw)) throw new ParseError(file, `"${proto} ${name}" is not an integer`, raw);
      fields.set(name, Number(raw));
    });
    out.set(proto, fields);
  }
  return out;
}

function prefixOf(line: string): string | null {
  const m = /^([A-Za-z0-9]+):/.exec(line);
  return m ? m[1]! : null;
}

function fieldsOf(line: string): string[] {
  return line.slice(line.indexOf(':') + 1).trim().split(/\s+/).filter(Boolean);
}
