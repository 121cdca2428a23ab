import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseProcNetTcp } from '../../../src/parse/procNetTcp.js';
import { collectFixture } from '../../helpers/collect.js';
import { fixture } from '../../helpers/paths.js';

const HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
const ROW = '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 10000 1 0000000000000000 20 4 30 10 -1\n';
const sink = { add: () => {} };

describe('the column header of /proc/net/tcp', () => {
  it('is recognised on the first non-blank line only', () => {
    expect(parseProcNetTcp('ipv4', HEADER + ROW, sink).header).toBe(true);
    expect(parseProcNetTcp('ipv4', '\n' + HEADER, sink).header).toBe(true);
    expect(parseProcNetTcp('ipv4', '', sink).header).toBe(false);
    expect(parseProcNetTcp('ipv4', ROW + HEADER, sink)).toMatchObject({ header: false, sockets: 1, malformed: 1 });
    expect(parseProcNetTcp('ipv4', 'hello\nworld\n', sink)).toMatchObject({ header: false, sockets: 0, malformed: 2 });
  });
});

/**
 * An empty or garbage socket table must not read as a quiet host (every state 0, collector
 * successful, /readyz 200): the sockets collector fails and says why. (The real binary's
 * `snapshot` on such a root: test/integration/sources/procfsTableHeader.test.ts.)
 */
describe('a procfs root whose socket table is empty or garbage', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tcpstate-header-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const root = (name: string, tcp: string, tcp6?: string): string => {
    const r = join(dir, name);
    mkdirSync(join(r, 'net'), { recursive: true });
    writeFileSync(join(r, 'net', 'tcp'), tcp);
    if (tcp6 !== undefined) writeFileSync(join(r, 'net', 'tcp6'), tcp6);
    return r;
  };
  const empty = root('empty', '');
  const garbage = root('garbage', 'this is not\na socket table\n');
  const empty6 = root('empty6', HEADER + ROW, '');
  const headerOnly = root('header-only', HEADER, HEADER);

  it.each([
    ['an empty net/tcp', empty, /net\/tcp is not a kernel socket table: it is empty/],
    ['a garbage net/tcp', garbage, /net\/tcp is not a kernel socket table: its first line is not the column header/],
    ['an empty net/tcp6 beside a good net/tcp', empty6, /net\/tcp6 is not a kernel socket table: it is empty/],
  ])('%s fails the sockets collector with the reason', async (_name, procfs, why) => {
    const s = await collectFixture(procfs);
    expect(s.status.sockets!.success).toBe(false);
    expect(s.status.sockets!.error).toMatch(why);
    expect(s.data.sockets).toBeUndefined();
  });

  // Files that never end: the read must stop at the first line (or within 64 KiB without one),
  // not run on past the collector's deadline, burning a core, until the file ends.
  const endless = (name: string, device: string): string => {
    const r = join(dir, name);
    mkdirSync(join(r, 'net'), { recursive: true });
    symlinkSync(device, join(r, 'net', 'tcp'));
    return r;
  };
  it.each([
    ['/dev/zero (no line ever ends)', endless('zero', '/dev/zero')],
    ['/dev/urandom (lines of noise)', endless('urandom', '/dev/urandom')],
  ])('a net/tcp that never ends, %s, fails with the reason, not a timeout', async (_name, procfs) => {
    const s = await collectFixture(procfs);
    expect(s.status.sockets!.success).toBe(false);
    expect(s.status.sockets!.error).toMatch(/net\/tcp is not a kernel socket table: its first line is not the column header/);
  });

  it('header lines alone are an empty table, not an error', async () => {
    const s = await collectFixture(headerOnly);
    expect(s.status.sockets!.success).toBe(true);
  });

  it('the shipped fixtures still carry their headers', async () => {
    expect((await collectFixture(fixture('proc'))).status.sockets!.success).toBe(true);
  });
});
