import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, fixture } from '../../helpers/paths.js';

const run = (...args: string[]) => spawnSync(CLI, ['--web.listen-address=127.0.0.1:0', ...args], { encoding: 'utf8', timeout: 20_000 });

describe.runIf(process.platform === 'linux')('--path.procfs that cannot serve: exit 2 at start, one line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tcpstate-roots-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // A tree with sysctls and counters but no socket table, as a wrong mount would give.
  const noTable = join(dir, 'no-table');
  mkdirSync(join(noTable, 'net'), { recursive: true });
  writeFileSync(join(noTable, 'net', 'snmp'), '');
  const aFile = join(dir, 'a-file');
  writeFileSync(aFile, '');

  const cases: Array<{ name: string; args: string[]; line: string }> = [
    { name: 'a root that does not exist (serve)', args: ['--path.procfs=/nonexistent/proc'], line: '--path.procfs: /nonexistent/proc does not exist' },
    { name: 'a root that does not exist (snapshot)', args: ['snapshot', '--path.procfs=/nonexistent/proc'], line: '--path.procfs: /nonexistent/proc does not exist' },
    { name: 'a file, not a directory', args: [`--path.procfs=${aFile}`], line: `--path.procfs: ${aFile} is not a directory` },
    {
      name: 'a root without net/tcp',
      args: [`--path.procfs=${noTable}`],
      line: `--path.procfs: ${noTable} has no socket table (${noTable}/net/tcp does not exist); is it a procfs mount?`,
    },
    {
      name: 'a root without net/tcp, procfs source asked for',
      args: ['snapshot', `--path.procfs=${noTable}`, '--collector.source=procfs'],
      line: `--path.procfs: ${noTable} has no socket table (${noTable}/net/tcp does not exist); is it a procfs mount?`,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = run(...c.args);
      expect(r.status).toBe(2);
      expect(r.stderr).toBe(`tcpstate-exporter: error: ${c.line}\n`);
      expect(r.stdout).toBe('');
    });
  }

  it('a root without net/tcp is fine when nothing reads the socket table from it', () => {
    const r = run('snapshot', `--path.procfs=${noTable}`, '--no-collector.sockets', '--no-collector.sysctl', '--no-collector.netstat', '--no-collector.sockstat', '--format=json');
    expect(r.stderr).not.toMatch(/--path.procfs/);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: { snmp: { success: false } } });
  });

  it('a fixture tree holding only header lines still starts: an empty table is a table', () => {
    const r = run('snapshot', `--path.procfs=${fixture('proc-header-only')}`, '--format=json');
    expect(r.status).toBe(1); // its other collectors have no files
    const s = JSON.parse(r.stdout) as { status: Record<string, { success: boolean }>; data: { sockets: { summary: { byFamily: { ipv4: Record<string, number> } } } } };
    expect(s.status['sockets']!.success).toBe(true);
    expect(s.data.sockets.summary.byFamily.ipv4['established']).toBe(0);
  });
});
