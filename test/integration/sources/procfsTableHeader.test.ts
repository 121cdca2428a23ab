import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI } from '../../helpers/paths.js';

/**
 * An empty socket table must not read as a quiet host, down to the exit code of the built binary
 * (the collector's side, header recognition and garbage tables: test/unit/collectors/emptyOrGarbageSocketTable.test.ts).
 */
describe('a procfs root whose socket table is empty or garbage', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tcpstate-header-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const empty = join(dir, 'empty');
  mkdirSync(join(empty, 'net'), { recursive: true });
  writeFileSync(join(empty, 'net', 'tcp'), '');

  it('the real binary: `snapshot` exits 1 and names the file', () => {
    const r = spawnSync(CLI, ['snapshot', `--path.procfs=${empty}`, '--format=json'], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(1);
    const out = JSON.parse(r.stdout) as { status: Record<string, { success: boolean; error?: string }> };
    expect(out.status['sockets']).toMatchObject({ success: false });
    expect(out.status['sockets']!.error).toContain(`${empty}/net/tcp is not a kernel socket table`);
  });
});
