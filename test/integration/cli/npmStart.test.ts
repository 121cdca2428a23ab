import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/exporterProcess.js';
import { fixture, REPO_ROOT } from '../../helpers/paths.js';
import { haveTool } from '../../helpers/tools.js';

/** Pids of the Node.js processes below `pid` whose command line holds `needle` (not a shell running it). */
function nodeDescendants(pid: number, needle: string): number[] {
  const parent = new Map<number, number>();
  for (const d of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      // Field 4 of /proc/<pid>/stat, after the parenthesised command name (which may hold spaces).
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const below = (p: number): boolean => {
    for (let q = parent.get(p); q !== undefined && q > 1; q = parent.get(q)) if (q === pid) return true;
    return false;
  };
  const node = realpathSync(process.execPath);
  const matches = (p: number): boolean => {
    try {
      return readlinkSync(`/proc/${p}/exe`) === node && readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(needle);
    } catch {
      return false;
    }
  };
  return [...parent.keys()].filter((p) => below(p) && matches(p));
}

const leftovers: number[] = [];
afterEach(() => {
  for (const pid of leftovers.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // ended, as it should
    }
  }
});

describe.runIf(process.platform === 'linux' && haveTool('npm'))('npm start', () => {
  it('SIGTERM to the npm process stops the exporter (npm forwards it, and the script execs the exporter)', async () => {
    // --ignore-scripts skips prestart (the build, already done by npm run test:integration), not start itself.
    const npm = spawn('npm', ['start', '--ignore-scripts', '--', '--web.listen-address=127.0.0.1:0', `--path.procfs=${fixture('proc')}`, '--log.format=json'], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    npm.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    npm.stdout!.resume();
    const npmExit = new Promise<void>((r) => npm.once('exit', () => r()));
    await eventually(async () => (err.includes('"msg":"tcpstate-exporter listening"') ? true : undefined), 60_000, 'the exporter listening');
    const found = nodeDescendants(npm.pid!, 'dist/src/cli.js');
    leftovers.push(...found);
    expect(found).toHaveLength(1);
    const exporter = found[0]!;
    npm.kill('SIGTERM');
    await npmExit;
    await eventually(async () => (existsSync(`/proc/${exporter}`) ? undefined : true), 20_000, `exporter ${exporter} gone after SIGTERM to npm`);
    expect(err).toMatch(/"signal":"SIGTERM".*"msg":"shutting down"/);
  }, 90_000);
});
