import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../../src/config.js';
import { REPO_ROOT } from '../../helpers/paths.js';
import { haveTool } from '../../helpers/tools.js';

const DIR = join(REPO_ROOT, 'deploy', 'systemd');
const read = (f: string) => readFileSync(join(DIR, f), 'utf8');

/** The last ExecStart= of a unit (a drop-in resets it with an empty one first), as the exporter's arguments. */
function exporterArgs(unit: string): string[] {
  const lines = unit.split('\n').filter((l) => l.startsWith('ExecStart='));
  const words = lines.at(-1)!.slice('ExecStart='.length).trim().split(/\s+/);
  expect(words.slice(0, 1)).toEqual(['/usr/local/bin/tcpstate-exporter']);
  return words.slice(1);
}

describe('deploy/systemd', () => {
  it('the service starts the exporter with flags it accepts', () => {
    expect(parseCommandLine(exporterArgs(read('tcpstate-exporter.service'))).config.systemdSocket).toBe(false);
  });

  it('the socket-activation drop-in resets ExecStart, takes the sockets from systemd, and needs the .socket', () => {
    const dropIn = read('tcpstate-exporter.service.d/socket-activation.conf');
    expect(dropIn).toMatch(/^ExecStart=$/m);
    expect(parseCommandLine(exporterArgs(dropIn)).config.systemdSocket).toBe(true);
    expect(dropIn).toMatch(/^Requires=tcpstate-exporter\.socket$/m);
    expect(dropIn).toMatch(/^After=tcpstate-exporter\.socket$/m);
  });

  it('the socket listens on the exporter\'s default port', () => {
    expect(read('tcpstate-exporter.socket')).toMatch(/^ListenStream=9816$/m);
  });

  it.runIf(haveTool('systemd-analyze'))('systemd-analyze verify accepts the units', () => {
    // The units name the installed bin (/usr/local/bin, README "Installing on a host"); verify
    // checks that it is executable, so copies point at a stand-in for it.
    const dir = mkdtempSync(join(tmpdir(), 'tcpstate-units-'));
    try {
      const bin = join(dir, 'tcpstate-exporter');
      writeFileSync(bin, '#!/bin/sh\n');
      chmodSync(bin, 0o755);
      for (const unit of ['tcpstate-exporter.socket', 'tcpstate-exporter.service']) writeFileSync(join(dir, unit), read(unit).replaceAll('/usr/local/bin/tcpstate-exporter', bin));
      const r = spawnSync('systemd-analyze', ['verify', 'tcpstate-exporter.socket', 'tcpstate-exporter.service'], { cwd: dir, encoding: 'utf8' });
      expect(r.stdout + r.stderr).toBe('');
      expect(r.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
