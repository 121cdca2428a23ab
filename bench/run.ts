/**
 * npm run bench -- [sizes...]
 * For each table size: our streaming collection against `cat` of the same files (the floor: the
 * bytes alone) and against a naive parser (read whole, split, object per socket), medians over
 * rounds, each in a fresh process. Prints ratios against our collection, measured in the same run.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeSyntheticProcfs } from './syntheticProcfs.js';

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 5);
const here = dirname(fileURLToPath(import.meta.url));

interface Measure {
  sockets: number;
  wallMs: number;
  cpuMs: number;
  peakRssMb: number;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function child(mode: string, procfs: string): Measure {
  const r = spawnSync(process.execPath, [join(here, 'collectOnce.js'), mode, procfs], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`collectOnce ${mode} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Measure;
}

function catMs(procfs: string): number {
  const t0 = performance.now();
  const r = spawnSync('sh', ['-c', `cat "${procfs}/net/tcp" "${procfs}/net/tcp6" > /dev/null`]);
  if (r.status !== 0) throw new Error('cat failed');
  return performance.now() - t0;
}

function medianOf(mode: string, procfs: string): Measure {
  const runs = Array.from({ length: ROUNDS }, () => child(mode, procfs));
  return { sockets: runs[0]!.sockets, wallMs: median(runs.map((r) => r.wallMs)), cpuMs: median(runs.map((r) => r.cpuMs)), peakRssMb: median(runs.map((r) => r.peakRssMb)) };
}

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const rows: string[] = [];
const baseRss: number[] = [];
for (const size of sizes.length ? sizes : [10_000, 100_000, 1_000_000]) {
  const dir = mkdtempSync(join(tmpdir(), 'tcpstate-bench-'));
  try {
    writeSyntheticProcfs(dir, size);
    const bytes = statSync(join(dir, 'net/tcp')).size + statSync(join(dir, 'net/tcp6')).size;
    const ours = medianOf('streaming', dir);
    const naive = medianOf('naive', dir);
    const cat = median(Array.from({ length: ROUNDS }, () => catMs(dir)));
    baseRss.push(ours.peakRssMb);
    rows.push(
      `| ${size.toLocaleString('en')} | ${(bytes / 2 ** 20).toFixed(1)} MiB | ${ours.wallMs.toFixed(1)} ms (cpu ${ours.cpuMs.toFixed(0)} ms) | ${cat.toFixed(1)} ms (${(cat / ours.wallMs).toFixed(2)}x) | ${naive.wallMs.toFixed(1)} ms (${(naive.wallMs / ours.wallMs).toFixed(2)}x) | ${ours.peakRssMb.toFixed(0)} MB | ${naive.peakRssMb.toFixed(0)} MB (${(naive.peakRssMb / ours.peakRssMb).toFixed(1)}x) |`,
    );
    if (ours.sockets !== size) throw new Error(`parsed ${ours.sockets} sockets, expected ${size}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
console.log(`Synthetic /proc/net/tcp{,6} tables, medians of ${ROUNDS} rounds, each measurement in a fresh process (node ${process.version}).`);
console.log('Ratios are the reference over our streaming collection: above 1 means we are faster / smaller.\n');
console.log('| sockets | table size | ours (parse + aggregate) | cat tcp tcp6 | naive split + objects | ours peak RSS | naive peak RSS |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) console.log(r);
if (baseRss.length > 1) console.log(`\nPeak RSS growth of our collection from the smallest to the largest table: ${(baseRss[baseRss.length - 1]! - baseRss[0]!).toFixed(1)} MB.`);
