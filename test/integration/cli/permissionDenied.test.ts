import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, fixture } from '../../helpers/paths.js';
import { AS_NOBODY, canDropPrivileges } from '../../helpers/privileges.js';

if (!canDropPrivileges) console.warn('permission-denied test not exercised: needs root, setpriv, and a checkout the nobody user can read');

describe.runIf(canDropPrivileges)('a procfs file the exporter may not read', () => {
  const tree = mkdtempSync(join(tmpdir(), 'tcpstate-eacces-'));
  cpSync(fixture('proc'), tree, { recursive: true });
  chmodSync(tree, 0o755);
  chmodSync(join(tree, 'net', 'netstat'), 0o000);
  afterAll(() => rmSync(tree, { recursive: true, force: true }));

  it('fails only that collector, with the reason, and the others still report', () => {
    const r = spawnSync(
      'setpriv',
      [...AS_NOBODY, process.execPath, CLI, 'snapshot', '--format=json', `--path.procfs=${tree}`],
      { encoding: 'utf8' },
    );
    expect(r.status).toBe(1); // some collector failed
    const s = JSON.parse(r.stdout) as { status: Record<string, { success: boolean; error?: string }>; data: Record<string, unknown> };
    expect(s.status['netstat']).toMatchObject({ success: false, error: expect.stringMatching(/EACCES: permission denied.*net\/netstat/) });
    for (const name of ['sockets', 'sysctl', 'snmp', 'sockstat']) expect(s.status[name]!.success).toBe(true);
    expect(s.data['netstat']).toBeUndefined();
  });
});
