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

/** Most ports a reserved-ports list can name; the kernel's list is a bitmap of 65,536 ports. */
const PORT_COUNT = 65536;

/**
 * net.ipv4.ip_local_reserved_ports: comma-separated ports and inclusive ranges ("8080,9000-9010"),
 * or an empty line. Returns the ports in ascending order, without duplicates.
 */
export function parsePortList(file: string, text: string): number[] {
  const line = text.trim();
  if (line === '') return [];
  const marked = new Uint8Array(PORT_COUNT);
  for (const item of line.split(',')) {
    const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(item.trim());
    const lo = Number(m?.[1]);
    const hi = m?.[2] === undefined ? lo : Number(m[2]);
    if (!m || lo > hi || hi >= PORT_COUNT) throw new ParseError(file, `not a port or port range: "${item}"`, text);
    marked.fill(1, lo, hi + 1);
  }
  const ports: number[] = [];
  for (let p = 0; p < PORT_COUNT; p++) if (marked[p] === 1) ports.push(p);
  return ports;
}
