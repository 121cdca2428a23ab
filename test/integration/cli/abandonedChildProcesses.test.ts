import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI } from '../../helpers/paths.js';

/**
 * The systeminformation source runs `netstat` through a shell; a netstat that never ends (a hung
 * NFS mount in its /proc walk, a wedged name lookup) is abandoned at the collector's deadline, but
 * it must neither keep `snapshot` from ending nor outlive the exporter.
 */
describe.runIf(process.platform === 'linux')('child processes a collector abandoned', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tcpstate-children-'));
  // A marker no other process on the machine carries.
  const marker = `${Date.now() % 100000}${process.pid}`;
  const netstat = join(dir, 'netstat');
  writeFileSync(netstat, `#!/bin/sh\nexec sleep 8${marker}\n`);
  chmodSync(netstat, 0o755);
  const survivors = (): string[] =>
    spawnSync('pgrep', ['-f', `sleep 8${marker}`], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  afterAll(() => {
    for (const pid of survivors()) process.kill(Number(pid), 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('snapshot ends after its deadline and leaves no netstat behind', () => {
    const r = spawnSync(CLI, ['snapshot', '--collector.source=systeminformation', '--collector.timeout=1s', '--format=json'], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, PATH: `${dir}:${process.env['PATH'] ?? ''}` },
    });
    expect(r.signal).toBeNull(); // not killed by spawnSync's timeout: it ended by itself
    expect(r.status).toBe(1);
    expect((JSON.parse(r.stdout) as { status: Record<string, { error?: string }> }).status['sockets']!.error).toMatch(/timeout/);
    expect(survivors()).toEqual([]);
  });
});
