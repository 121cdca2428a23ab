/**
 * npm run bench -- [sizes...]
 * Part 1, live: a real loopback population held by this process, read from the host's /proc;
 * ours against `cat /proc/net/tcp{,6}`, `ss -tan` and systeminformation's networkConnections().
 * Part 2, synthetic tables:
 * For each table size: our streaming collection against `cat` of the same files (the floor: the
 * bytes alone) and against a naive parser (read whole, split, object per socket), medians over
 * rounds, each in a fresh process. Prints ratios against our collection, measured in the same run.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LivePopulation } from './livePopulation.js';
import { median, medianMeasure, type CycleMeasure } from './measure.js';
import { writeSyntheticProcfs } from './syntheticProcfs.js';

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 5);
const here = dirname(fileURLToPath(import.meta.url));

function child(mode: string, procfs: string): CycleMeasure {
  const r = spawnSync(process.execPath, [join(here, 'collectOnce.js'), mode, procfs], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`collectOnce ${mode} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as CycleMeasure;
}

function commandMs(command: string): number {
  const t0 = performance.now();
  const r = spawnSync('sh', ['-c', command], { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`${command} failed`);
  return performance.now() - t0;
}

const catMs = (procfs: string): number => commandMs(`cat "${procfs}/net/tcp" "${procfs}/net/tcp6" > /dev/null`);

function medianOf(mode: string, procfs: string): CycleMeasure {
  return medianMeasure(Array.from({ length: ROUNDS }, () => child(mode, procfs)));
}

async function live(pairs: number, timeWait: number): Promise<void> {
  const pop = await LivePopulation.create({ pairs, timeWait });
  try {
    await new Promise((r) => setTimeout(r, 500));
    const ours = medianOf('netlink', '/proc');
    const viaProcfs = medianOf('procfs', '/proc');
    const cat = median(Array.from({ length: ROUNDS }, () => catMs('/proc')));
    const ss = median(Array.from({ length: ROUNDS }, () => commandMs('ss -tan > /dev/null')));
    const si = medianOf('systeminformation', '/proc');
    console.log(`Live: ${ours.sockets.toLocaleString("en")} TCP sockets on this host, ${pairs} loopback pairs and ${timeWait} TIME_WAIT of them made by the bench, medians of ${ROUNDS} rounds.`);
    console.log('Node readers: median warm cycle of a process that collects repeatedly (cold first cycle in brackets). Commands: one run each.\n');
    console.log('| reader | wall per cycle | ratio to ours | peak RSS |');
    console.log('| --- | --- | --- | --- |');
    console.log(`| ours, netlink source (the default) | ${ours.wallMs.toFixed(1)} ms (cold ${ours.coldMs.toFixed(0)} ms) | 1.00x | ${ours.peakRssMb.toFixed(0)} MB |`);
    console.log(`| ours, procfs source (+ netlink backlogs) | ${viaProcfs.wallMs.toFixed(1)} ms (cold ${viaProcfs.coldMs.toFixed(0)} ms) | ${(viaProcfs.wallMs / ours.wallMs).toFixed(2)}x | ${viaProcfs.peakRssMb.toFixed(0)} MB |`);
    console.log(`| cat /proc/net/tcp /proc/net/tcp6 | ${cat.toFixed(1)} ms | ${(cat / ours.wallMs).toFixed(2)}x | |`);
    console.log(`| ss -tan | ${ss.toFixed(1)} ms | ${(ss / ours.wallMs).toFixed(2)}x | |`);
    console.log(`| systeminformation networkConnections() | ${si.wallMs.toFixed(1)} ms (cold ${si.coldMs.toFixed(0)} ms) | ${(si.wallMs / ours.wallMs).toFixed(2)}x | ${si.peakRssMb.toFixed(0)} MB |`);
    console.log('');
  } finally {
    await pop.close();
  }
}

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
await live(Number(process.env['BENCH_LIVE_PAIRS'] ?? 8000), Number(process.env['BENCH_LIVE_TIME_WAIT'] ?? 4000));
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
      `| ${size.toLocaleString('en')} | ${(bytes / 2 ** 20).toFixed(1)} MiB | ${ours.wallMs.toFixed(1)} ms (cpu ${ours.cpuMs.toFixed(0)} ms, cold ${ours.coldMs.toFixed(0)} ms) | ${cat.toFixed(1)} ms (${(cat / ours.wallMs).toFixed(2)}x) | ${naive.wallMs.toFixed(1)} ms (${(naive.wallMs / ours.wallMs).toFixed(2)}x) | ${ours.peakRssMb.toFixed(0)} MB | ${naive.peakRssMb.toFixed(0)} MB (${(naive.peakRssMb / ours.peakRssMb).toFixed(1)}x) |`,
    );
    if (ours.sockets !== size) throw new Error(`parsed ${ours.sockets} sockets, expected ${size}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
console.log(`Synthetic /proc/net/tcp{,6} tables, medians of ${ROUNDS} rounds, each round a fresh process timing its warm cycles (node ${process.version}).`);
console.log('Ratios are the reference over our streaming collection: above 1 means we are faster / smaller.\n');
console.log('| sockets | table size | ours (parse + aggregate) | cat tcp tcp6 | naive split + objects | ours peak RSS | naive peak RSS |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) console.log(r);
if (baseRss.length > 1) console.log(`\nPeak RSS growth of our collection from the smallest to the largest table: ${(baseRss[baseRss.length - 1]! - baseRss[0]!).toFixed(1)} MB.`);
