/**
 * npm run bench:scale -- [sizes…]   (root: it creates a network namespace)
 * Builds a socket population of each size inside a namespace of its own and measures, in the
 * same run and on the same population: our collection cycle (warm median, cold, CPU, peak RSS),
 * `cat /proc/net/tcp{,6}`, `ss -tan`, node_exporter with only the tcpstat collector (scrape wall
 * and peak RSS), systeminformation (up to BENCH_SI_MAX sockets), the real exporter process
 * (its own cycle time and peak RSS), and /metrics latency under concurrent scrapers while it
 * collects, and the opt-in process scan against `ss -tanp`; the C netlink floor (bench/diagDump.c,
 * when a C compiler is there) and the exporter's memory as its own memory cgroup is charged.
 * Prints each as a ratio to our cycle. Everything it creates is removed at the end.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, medianMeasure, type CycleMeasure } from './measure.js';
import { chargesText, exporterProcess } from './exporterProcess.js';
import { Netns, processMemory } from './netns.js';
import { buildDiagDump, commandTimes } from './references.js';

const here = dirname(fileURLToPath(import.meta.url));
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 5);
/** Above this size systeminformation is timed once, cold, and given up on after SI_TIMEOUT_MS. */
const SI_MAX = Number(process.env['BENCH_SI_MAX'] ?? 100_000);
/** Its `netstat -tunap` looks up every socket's process: at 1M sockets it ran over 10 minutes. */
const SI_TIMEOUT_MS = Number(process.env['BENCH_SI_TIMEOUT_S'] ?? 300) * 1000;
const NODE_EXPORTER = process.env['BENCH_NODE_EXPORTER'] ?? 'prometheus-node-exporter';
/** Two descriptors per held connection, under the 20,000-file limit per process. */
const PAIRS_PER_HOLDER = 9_400;
const TIME_WAIT_SHARE = 0.02;
const HALF_CLOSED_SHARE = 0.02;

interface HolderSpec {
  pairs: number;
  timeWait: number;
  halfClosed: number;
  listeners: number;
  host: string;
}

/** Splits a target socket count over holder processes: ESTABLISHED pairs, CLOSE_WAIT/FIN_WAIT2 pairs, TIME_WAIT. */
function plan(size: number): HolderSpec[] {
  const timeWait = Math.round(size * TIME_WAIT_SHARE);
  const halfClosedPairs = Math.round((size * HALF_CLOSED_SHARE) / 2);
  const pairs = Math.max(0, Math.round((size - timeWait) / 2) - halfClosedPairs);
  const holders = Math.max(1, Math.ceil((pairs + halfClosedPairs) / PAIRS_PER_HOLDER));
  return Array.from({ length: holders }, (_, i) => ({
    pairs: Math.floor(pairs / holders) + (i < pairs % holders ? 1 : 0),
    halfClosed: Math.floor(halfClosedPairs / holders) + (i < halfClosedPairs % holders ? 1 : 0),
    timeWait: Math.floor(timeWait / holders) + (i < timeWait % holders ? 1 : 0),
    listeners: 4,
    // One in five holders uses IPv6; the others spread over loopback addresses (each its own port space).
    host: i % 5 === 4 ? '::1' : `127.0.${Math.floor(i / 200)}.${(i % 200) + 1}`,
  }));
}

function cycle(ns: Netns, mode: string, rounds = ROUNDS, warmCycles = 5): CycleMeasure {
  return medianMeasure(Array.from({ length: rounds }, () => JSON.parse(ns.run(process.execPath, [join(here, 'collectOnce.js'), mode, '/proc', String(warmCycles)]).stdout) as CycleMeasure));
}

/** One cold collection in a fresh process, or undefined when it does not finish in time. */
function coldOnce(ns: Netns, mode: string, timeoutMs: number): CycleMeasure | undefined {
  const r = ns.exec(process.execPath, [join(here, 'collectOnce.js'), mode, '/proc', '0'], timeoutMs);
  if (r.timedOut) return undefined;
  if (r.status !== 0) throw new Error(`collectOnce ${mode} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as CycleMeasure;
}

function commandMs(ns: Netns, command: string): number {
  return median(Array.from({ length: ROUNDS }, () => ns.run('sh', ['-c', command]).ms));
}

/** One timed run, or undefined when it does not finish in time. */
function commandOnceMs(ns: Netns, command: string, timeoutMs: number): number | undefined {
  const r = ns.exec('sh', ['-c', command], timeoutMs);
  if (r.timedOut) return undefined;
  if (r.status !== 0) throw new Error(`${command} failed: ${r.stderr}`);
  return r.ms;
}

function scrapeMs(ns: Netns, url: string, rounds: number): number[] {
  return (JSON.parse(ns.run(process.execPath, [join(here, 'scrape.js'), 'times', url, String(rounds)]).stdout) as { ms: number[] }).ms;
}

async function nodeExporter(ns: Netns): Promise<{ scrapeMs: number; peakRssMb: number; privateMb: number }> {
  const { child } = await ns.startUntil(
    NODE_EXPORTER,
    ['--collector.disable-defaults', '--collector.tcpstat', '--web.listen-address=127.255.255.1:19100'],
    /Listening on|TLS is disabled/,
    'stderr',
  );
  try {
    const ms = scrapeMs(ns, 'http://127.255.255.1:19100/metrics', ROUNDS + 1).slice(1);
    const mem = processMemory(child.pid!);
    return { scrapeMs: median(ms), peakRssMb: mem.peakMb, privateMb: mem.privateMb };
  } finally {
    child.kill('SIGKILL');
  }
}

async function measure(size: number): Promise<string[]> {
  const ns = new Netns('tcpstate-bench', {
    'net.ipv4.ip_local_port_range': '1024 65535',
    'net.ipv4.tcp_max_tw_buckets': '4000000',
    'net.core.somaxconn': '65535',
    'net.ipv4.tcp_max_syn_backlog': '65535',
  });
  try {
    const holders = plan(size);
    const t0 = performance.now();
    await Promise.all(holders.map((spec) => ns.startUntil(process.execPath, [join(here, 'holdPopulation.js'), JSON.stringify(spec)], /"ready":true/)));
    const buildS = (performance.now() - t0) / 1000;
    const ours = cycle(ns, 'netlink');
    const viaProcfs = cycle(ns, 'procfs');
    const cat = commandMs(ns, 'cat /proc/net/tcp /proc/net/tcp6 > /dev/null');
    const ss = commandMs(ns, 'ss -tan > /dev/null');
    const floor = diagDump === undefined ? undefined : commandTimes(ns, `${diagDump} > /dev/null`, ROUNDS);
    const scan = cycle(ns, 'processes', Math.min(ROUNDS, 3), 2);
    // ss -p looks up every socket's process like we do, but much more slowly: above SI_MAX it is timed once, with a limit.
    const ssp = size <= SI_MAX ? commandMs(ns, 'ss -tanp > /dev/null') : commandOnceMs(ns, 'ss -tanp > /dev/null', SI_TIMEOUT_MS);
    const ne = await nodeExporter(ns);
    const si = size <= SI_MAX ? cycle(ns, 'systeminformation') : coldOnce(ns, 'systeminformation', SI_TIMEOUT_MS);
    const intervalMs = Math.max(1000, Math.round(ours.wallMs * 1.5));
    const exp = await exporterProcess(ns, intervalMs, ROUNDS);
    const r = (ms: number): string => `${(ms / ours.wallMs).toFixed(2)}x`;
    console.error(`# ${size}: ${ours.sockets} sockets in ${holders.length} holder processes, built in ${buildS.toFixed(0)} s`);
    return [
      `| ${ours.sockets.toLocaleString('en')} | ours: netlink source | ${ours.wallMs.toFixed(0)} ms (cold ${ours.coldMs.toFixed(0)}, cpu ${ours.cpuMs.toFixed(0)}) | 1.00x | ${ours.peakRssMb.toFixed(0)} MB |`,
      `| | ours: procfs source | ${viaProcfs.wallMs.toFixed(0)} ms | ${r(viaProcfs.wallMs)} | ${viaProcfs.peakRssMb.toFixed(0)} MB |`,
      `| | cat /proc/net/tcp{,6} | ${cat.toFixed(0)} ms | ${r(cat)} | |`,
      `| | ss -tan | ${ss.toFixed(0)} ms | ${r(ss)} | |`,
      floor === undefined
        ? '| | C netlink floor (bench/diagDump.c) | no C compiler | | |'
        : `| | C netlink floor (bench/diagDump.c: the same dumps as ours, nothing formatted) | ${floor.wallMs.toFixed(0)} ms (cpu ${floor.cpuMs.toFixed(0)}) | ${r(floor.wallMs)}: ours is **${(ours.wallMs / floor.wallMs).toFixed(2)}x** the floor in wall time, ${(ours.cpuMs / floor.cpuMs).toFixed(2)}x in CPU | |`,
      `| | ours: process scan (--collector.processes: netlink walk + every /proc/<pid>/fd) | ${scan.wallMs.toFixed(0)} ms (cold ${scan.coldMs.toFixed(0)}, cpu ${scan.cpuMs.toFixed(0)}) | ${r(scan.wallMs)} | ${scan.peakRssMb.toFixed(0)} MB |`,
      ssp === undefined
        ? `| | ss -tanp (owners too: the same /proc/<pid>/fd scan; one run) | did not finish in ${SI_TIMEOUT_MS / 1000} s | > ${r(SI_TIMEOUT_MS)} | |`
        : `| | ss -tanp (owners too: the same /proc/<pid>/fd scan${size > SI_MAX ? '; one run' : ''}) | ${ssp.toFixed(0)} ms | ${r(ssp)} | |`,
      `| | node_exporter tcpstat scrape | ${ne.scrapeMs.toFixed(0)} ms | ${r(ne.scrapeMs)} | ${ne.peakRssMb.toFixed(0)} MB (private ${ne.privateMb.toFixed(0)}) |`,
      si
        ? `| | systeminformation networkConnections()${size > SI_MAX ? ' (one cold call)' : ''} | ${si.wallMs.toFixed(0)} ms | ${r(si.wallMs)} | ${si.peakRssMb.toFixed(0)} MB |`
        : `| | systeminformation networkConnections() (one cold call) | did not finish in ${SI_TIMEOUT_MS / 1000} s | > ${r(SI_TIMEOUT_MS)} | |`,
      `| | **exporter process** (as deployed) | cycle ${exp.cycleMs.toFixed(0)} ms, cpu ${exp.cpuPerCycleMs.toFixed(0)} ms/cycle | ${r(exp.cycleMs)} | **${exp.peakRssMb.toFixed(0)} MB** (at the end: private ${exp.privateMb.toFixed(0)}, file-backed ${exp.fileMb.toFixed(0)}); ${chargesText(exp)} |`,
      `| | /metrics while collecting, 10 concurrent scrapers for 10 s | p50 ${exp.latency.p50} ms, p99 ${exp.latency.p99} ms, max ${exp.latency.max} ms, ${exp.latency.requests} requests, ${exp.latency.non2xx} non-2xx | | |`,
    ];
  } finally {
    ns.destroy();
  }
}

if (process.getuid?.() !== 0) {
  console.error('bench:scale skipped: it needs root to create a network namespace (run it with sudo)');
  process.exit(0);
}
const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const rows: string[] = [];
const tmp = mkdtempSync(join(tmpdir(), 'tcpstate-bench-'));
const diagDump = buildDiagDump(tmp, join(here, '..', '..', 'bench'));
try {
  for (const size of sizes.length ? sizes : [10_000, 100_000, 1_000_000]) rows.push(...(await measure(size)));
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
console.log(`Socket populations in a private network namespace; medians of ${ROUNDS} rounds (node ${process.version}).`);
console.log('Node readers: median warm cycle of a fresh process that collects six times (cold first cycle and CPU in brackets).');
console.log('Ratios are the reference over our netlink cycle: above 1 means we are faster.\n');
console.log('| sockets | reader | wall | ratio | peak RSS |');
console.log('| --- | --- | --- | --- | --- |');
for (const row of rows) console.log(row);
