import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { median } from './measure.js';
import type { Netns } from './netns.js';

/**
 * Median wall and CPU time (user + system of the command and its children, from bash's `time`)
 * of a shell command run `rounds` times inside the namespace, in ms. Throws if it fails.
 */
export function commandTimes(ns: Netns, command: string, rounds: number): { wallMs: number; cpuMs: number } {
  const runs = Array.from({ length: rounds }, () => {
    const r = ns.exec('bash', ['-c', `TIMEFORMAT='%R %U %S'; time (${command})`]);
    if (r.status !== 0) throw new Error(`${command} failed: ${r.stderr}`);
    const [real = NaN, user = NaN, sys = NaN] = r.stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
    return { wallMs: real * 1000, cpuMs: (user + sys) * 1000 };
  });
  return { wallMs: median(runs.map((r) => r.wallMs)), cpuMs: median(runs.map((r) => r.cpuMs)) };
}

/**
 * Builds bench/diagDump.c (the C netlink floor: `diagDump` for the netlink source's dumps,
 * `diagDump info` with INET_DIAG_INFO, `per-family` for `ss`'s requests) into `dir`; undefined
 * without a C compiler. `benchSources`: the bench/ folder of the repository (the compiled benches
 * run from dist/bench).
 */
export function buildDiagDump(dir: string, benchSources: string): string | undefined {
  const out = join(dir, 'diagDump');
  const r = spawnSync('cc', ['-O2', '-o', out, join(benchSources, 'diagDump.c')], { encoding: 'utf8' });
  return r.status === 0 ? out : undefined;
}
