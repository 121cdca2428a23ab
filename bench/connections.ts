/**
 * npm run bench:connections -- [socket counts for the tcpinfo part…]   (root: it creates network namespaces)
 *
 * --collector.connections: in a namespace of its own, close_load.py generators open and close
 * loopback connections at stepped rates (each connection is two destroyed sockets: two events)
 * while connectionsProbe.js runs the connections collector (no HTTP server: a scrape would itself
 * be a closed connection). Per step: the rate reached, what the collector counted and what the
 * kernel dropped against what was closed, and the collector process's CPU per 1,000 closes/s.
 * Once with the default receive buffer (4 MiB asked, 8 MiB granted) and once with 208 KiB, what
 * an unprivileged exporter gets on a distribution's default net.core.rmem_max.
 *
 * --collector.tcpinfo: a population of held connections per size (default 10k and 100k), and in
 * the same run: the sockets collector's cycle without and with tcp_info, `ss -tin`, and the C
 * netlink floor asking for the same extension (diagDump.c with its `info` argument, when a C
 * compiler is there: the same requests as ours, the budget's reference, and with `per-family` as
 * `ss` makes them), and the exporter process with both collectors on, charged to a memory cgroup
 * of its own (its charge, and its working set as the kubelet counts it), then once more in a
 * cgroup with a 40 MB limit, the budget, to show it lives and answers under it. Ours and the two
 * C dumps with tcp_info are measured cycle by cycle, interleaved: one warm collector process runs
 * a cycle, then each C dump runs once (timing its own dumps), in an order that rotates,
 * BENCH_PAIRS times; the ratio is the median of the per-round ratios, so a slow minute of the
 * shared machine weighs on ours and the reference alike instead of on one of them.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { median, medianMeasure, quantile, type CycleMeasure } from './measure.js';
import { chargesText, exporterProcess, limitText } from './exporterProcess.js';
import { Netns } from './netns.js';
import { buildDiagDump, commandTimes } from './references.js';

const here = dirname(fileURLToPath(import.meta.url));
const SOURCES = join(here, '..', '..', 'bench');
const STEP_S = Number(process.env['BENCH_STEP_S'] ?? 8);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 5);
/** Rounds of ours and the C dumps with tcp_info, interleaved cycle by cycle (see tcpInfoRounds). */
const PAIRS = Number(process.env['BENCH_PAIRS'] ?? 31);
/**
 * Idle time before each measurement of the interleaved rounds, so what one leaves behind (V8's
 * concurrent GC threads, the kernel freeing the dump's buffers) does not land on the next.
 */
const SETTLE_MS = 200;
/** Closes (destroyed sockets) per second asked for; 0: as fast as the generators go. */
const RATES = (process.env['BENCH_RATES'] ?? '5000,10000,20000,30000,0').split(',').map(Number);
const GENERATORS = 2;
/** Which parts to run: "rates", "tcpinfo" or both (default). */
const PARTS = new Set((process.env['BENCH_PARTS'] ?? 'rates,tcpinfo').split(','));
/**
 * Receive buffers asked for: the default; 208 KiB, what an unprivileged exporter gets on a
 * distribution's default net.core.rmem_max (212992); and 32 KiB, small enough for this machine's
 * generators to overrun, to show where loss starts and that counted + lost stays exact.
 */
const BUFFERS: ReadonlyArray<[bytes: number, label: string]> = [
  [4 << 20, 'default, 4 MiB asked'],
  [212_992, '208 KiB asked'],
  [32_768, '32 KiB asked'],
];
const PAIRS_PER_HOLDER = 9_400;
/** The memory budget of issue 16 at 1M sockets with both collectors: the exporter is also run under it as a limit. */
const MEMORY_LIMIT_MB = 40;

/** A child speaking JSON lines: send a line, get the next JSON line back. */
class LineChild {
  private readonly lines: string[] = [];
  private waiting: ((line: string) => void) | undefined;
  constructor(readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (l) => {
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = undefined;
        w(l);
      } else this.lines.push(l);
    });
  }
  async ask<T>(line: string): Promise<T> {
    const answer = new Promise<string>((resolve) => {
      const queued = this.lines.shift();
      if (queued !== undefined) resolve(queued);
      else this.waiting = resolve;
    });
    this.child.stdin!.write(`${line}\n`);
    return JSON.parse(await answer) as T;
  }
}

interface ProbeRead {
  counted: number;
  withoutPeer: number;
  lost: number;
  cpuMs: number;
  receiveBufferBytes: number;
}

interface Step {
  askedPerS: number;
  closes: number;
  seconds: number;
  counted: number;
  lost: number;
  cpuMs: number;
}

/** One rate step: generators run, then the probe is read until nothing more arrives. */
async function step(probe: LineChild, generators: readonly LineChild[], closesPerS: number): Promise<Step> {
  const before = await probe.ask<ProbeRead>('read');
  const runs = await Promise.all(generators.map((g) => g.ask<{ connections: number; seconds: number }>(`run ${closesPerS / 2 / generators.length} ${STEP_S}`)));
  let last = before;
  for (let stable = 0, i = 0; stable < 2 && i < 40; i++) {
    await new Promise((r) => setTimeout(r, 250));
    const now = await probe.ask<ProbeRead>('read');
    stable = now.counted + now.lost + now.withoutPeer === last.counted + last.lost + last.withoutPeer ? stable + 1 : 0;
    last = now;
  }
  return {
    askedPerS: closesPerS,
    closes: 2 * runs.reduce((a, r) => a + r.connections, 0),
    seconds: Math.max(...runs.map((r) => r.seconds)),
    counted: last.counted - before.counted,
    lost: last.lost - before.lost,
    // The probe's CPU over the generators' run (what it spends after, draining, is in it too).
    cpuMs: last.cpuMs - before.cpuMs,
  };
}

async function closeRates(receiveBufferBytes: number, label: string): Promise<string[]> {
  const ns = new Netns('tcpstate-bench-conn', { 'net.ipv4.tcp_max_tw_buckets': '0', 'net.ipv4.ip_local_port_range': '1024 65535' });
  try {
    const { child } = await ns.startUntil(process.execPath, [join(here, 'connectionsProbe.js'), String(receiveBufferBytes)], /"ready":true/);
    const probe = new LineChild(child);
    const generators: LineChild[] = [];
    for (let i = 0; i < GENERATORS; i++) generators.push(new LineChild((await ns.startUntil('python3', [join(SOURCES, 'close_load.py'), String(7300 + i)], /"ready": true/)).child));
    const granted = (await probe.ask<ProbeRead>('read')).receiveBufferBytes;
    const rows: string[] = [];
    for (const rate of RATES) {
      const s = await step(probe, generators, rate);
      const perS = s.closes / s.seconds;
      const cpuShare = s.cpuMs / (s.seconds * 1000);
      rows.push(
        `| ${label} (${(granted / 1024).toFixed(0)} KiB granted) | ${rate === 0 ? 'max' : rate.toLocaleString('en')} | ${Math.round(perS).toLocaleString('en')} | ${s.closes.toLocaleString('en')} | ${s.counted.toLocaleString('en')} | ${s.lost.toLocaleString('en')} | ${s.counted + s.lost - s.closes} | ${(cpuShare * 100).toFixed(1)} % | ${((cpuShare * 100) / (perS / 1000)).toFixed(2)} % | ${((s.cpuMs * 1000) / Math.max(1, s.counted)).toFixed(1)} µs |`,
      );
      console.error(`# ${label}: asked ${rate || 'max'}/s, reached ${Math.round(perS)}/s, closed ${s.closes}, counted ${s.counted}, lost ${s.lost}, cpu ${s.cpuMs.toFixed(0)} ms`);
    }
    return rows;
  } finally {
    ns.destroy();
  }
}

/** ESTABLISHED pairs over holder processes and loopback addresses, as bench/scale.ts builds them. */
async function population(ns: Netns, sockets: number): Promise<void> {
  const pairs = Math.round(sockets / 2);
  const holders = Math.max(1, Math.ceil(pairs / PAIRS_PER_HOLDER));
  await Promise.all(
    Array.from({ length: holders }, (_, i) => {
      const spec = { pairs: Math.floor(pairs / holders) + (i < pairs % holders ? 1 : 0), listeners: 4, host: `127.0.${Math.floor(i / 200)}.${(i % 200) + 1}` };
      return ns.startUntil(process.execPath, [join(here, 'holdPopulation.js'), JSON.stringify(spec)], /"ready":true/);
    }),
  );
}

/** One fresh process's median warm cycle in `mode`. */
function cycleOnce(ns: Netns, mode: string): CycleMeasure {
  return JSON.parse(ns.run(process.execPath, [join(here, 'collectOnce.js'), mode, '/proc', '5']).stdout) as CycleMeasure;
}

/** The collector's warm cycle in `mode`: the median of ROUNDS fresh processes. */
function cycle(ns: Netns, mode: string): CycleMeasure {
  return medianMeasure(Array.from({ length: ROUNDS }, () => cycleOnce(ns, mode)));
}

/** Wall and CPU time of one measurement, ms. */
interface Times {
  wallMs: number;
  cpuMs: number;
}

const medianTimes = (runs: readonly Times[]): Times => ({ wallMs: median(runs.map((r) => r.wallMs)), cpuMs: median(runs.map((r) => r.cpuMs)) });

/** One run of the C dump with `args`: the time of its dumps as it measures them (diagDump.c's last two fields, µs). */
function cDump(ns: Netns, diagDump: string, args: readonly string[]): Times {
  const fields = ns.run(diagDump, args).stdout.trim().split(' ').map(Number);
  const [wallUs = NaN, cpuUs = NaN] = fields.slice(3);
  if (!(wallUs > 0)) throw new Error(`${diagDump} ${args.join(' ')} printed no timing`);
  return { wallMs: wallUs / 1000, cpuMs: cpuUs / 1000 };
}

/** A cycle of our collector as collectOnce.js serve answers it. */
interface OurCycle extends Times {
  sockets: number;
  peakRssMb: number;
}

/** What the interleaved rounds give: medians of each reader, and of the per-round ratios. */
interface InterleavedRounds {
  ours: OurCycle;
  c?: Times;
  cPerFamily?: Times;
  /** Medians of ours / C per round (wall, CPU), and the wall ratio's lower and upper quartiles. */
  ratio?: { wall: number; cpu: number; lowerQuartile: number; upperQuartile: number };
  perFamilyRatio?: { wall: number; cpu: number };
  rounds: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Ours with tcp_info and the C dumps asking for the same extension, cycle by cycle: one warm
 * collector process (three cycles paid first, as a running exporter has) and a fresh C process per
 * run, the three in an order that rotates round by round. Each round's ratio sets ours against
 * the C dump of the same few seconds.
 */
async function tcpInfoRounds(ns: Netns, diagDump: string | undefined): Promise<InterleavedRounds> {
  const { child } = await ns.startUntil(process.execPath, [join(here, 'collectOnce.js'), 'netlink-tcpinfo', '/proc', 'serve'], /"ready":true/);
  try {
    const collector = new LineChild(child);
    for (let i = 0; i < 3; i++) await collector.ask<OurCycle>('cycle');
    const readers: Array<() => Promise<Times>> = [() => collector.ask<OurCycle>('cycle')];
    if (diagDump) readers.push(async () => cDump(ns, diagDump, ['info']), async () => cDump(ns, diagDump, ['info', 'per-family']));
    const rounds: Times[][] = [];
    for (let i = 0; i < PAIRS; i++) {
      const round: Times[] = [];
      for (let k = 0; k < readers.length; k++) {
        const reader = (i + k) % readers.length;
        await sleep(SETTLE_MS);
        round[reader] = await readers[reader]!();
      }
      rounds.push(round);
    }
    const last = rounds.at(-1)![0] as OurCycle;
    const ours: OurCycle = { ...medianTimes(rounds.map((r) => r[0]!)), sockets: last.sockets, peakRssMb: last.peakRssMb };
    if (!diagDump) return { ours, rounds: PAIRS };
    const wallRatios = rounds.map((r) => r[0]!.wallMs / r[1]!.wallMs);
    return {
      ours,
      c: medianTimes(rounds.map((r) => r[1]!)),
      cPerFamily: medianTimes(rounds.map((r) => r[2]!)),
      ratio: { wall: median(wallRatios), cpu: median(rounds.map((r) => r[0]!.cpuMs / r[1]!.cpuMs)), lowerQuartile: quantile(wallRatios, 0.25), upperQuartile: quantile(wallRatios, 0.75) },
      perFamilyRatio: { wall: median(rounds.map((r) => r[0]!.wallMs / r[2]!.wallMs)), cpu: median(rounds.map((r) => r[0]!.cpuMs / r[2]!.cpuMs)) },
      rounds: PAIRS,
    };
  } finally {
    child.stdin!.end();
  }
}

async function tcpInfoCost(sockets: number, diagDump: string | undefined): Promise<string[]> {
  const ns = new Netns('tcpstate-bench-info', { 'net.ipv4.ip_local_port_range': '1024 65535', 'net.core.somaxconn': '65535' });
  try {
    await population(ns, sockets);
    const plain = cycle(ns, 'netlink');
    const interleaved = await tcpInfoRounds(ns, diagDump);
    const info = interleaved.ours;
    const ssTin = commandTimes(ns, 'ss -tin > /dev/null', ROUNDS);
    const cPlain = diagDump ? medianTimes(Array.from({ length: ROUNDS }, () => cDump(ns, diagDump, []))) : undefined;
    // The deployed process with both collectors: the memory a container limit goes by.
    const interval = Math.max(1000, Math.round(info.wallMs * 1.5));
    const exp = await exporterProcess(ns, interval, ROUNDS, ['--collector.connections', '--collector.tcpinfo']);
    // The budget as a container meets it: the same process under a 40 MB limit lives and answers.
    let limited: string;
    try {
      limited = limitText(await exporterProcess(ns, interval, ROUNDS, ['--collector.connections', '--collector.tcpinfo'], MEMORY_LIMIT_MB), MEMORY_LIMIT_MB);
    } catch (err) {
      limited = `under a ${MEMORY_LIMIT_MB} MB limit: failed: ${String(err).slice(0, 300)}`;
    }
    const r = (t: Times): string => `${(info.wallMs / t.wallMs).toFixed(2)}x wall, ${(info.cpuMs / t.cpuMs).toFixed(2)}x cpu`;
    const row = (label: string, t: Times, ratio = r(t)): string => `| | ${label} | ${t.wallMs.toFixed(0)} ms (cpu ${t.cpuMs.toFixed(0)}) | ${ratio} | |`;
    const { c, cPerFamily, ratio, perFamilyRatio } = interleaved;
    return [
      `| ${info.sockets.toLocaleString('en')} | ours, sockets cycle without tcp_info | ${plain.wallMs.toFixed(0)} ms (cpu ${plain.cpuMs.toFixed(0)}) | | ${plain.peakRssMb.toFixed(0)} MB |`,
      `| | **ours, with --collector.tcpinfo** (one warm process, ${interleaved.rounds} cycles interleaved with the C dumps) | ${info.wallMs.toFixed(0)} ms (cpu ${info.cpuMs.toFixed(0)}) | 1.00x | ${info.peakRssMb.toFixed(0)} MB |`,
      c === undefined || ratio === undefined
        ? '| | C dump asking for INET_DIAG_INFO | no C compiler | | |'
        : row(
            '**C dump making the same requests, with INET_DIAG_INFO** (diagDump.c info)',
            c,
            `**${ratio.wall.toFixed(2)}x wall** (round ratios' quartiles ${ratio.lowerQuartile.toFixed(2)}-${ratio.upperQuartile.toFixed(2)}), ${ratio.cpu.toFixed(2)}x cpu`,
          ),
      cPerFamily === undefined || perFamilyRatio === undefined
        ? ''
        : row('C dump with INET_DIAG_INFO, non-LISTEN states per family as `ss` asks (diagDump.c info per-family)', cPerFamily, `${perFamilyRatio.wall.toFixed(2)}x wall, ${perFamilyRatio.cpu.toFixed(2)}x cpu`),
      cPlain === undefined
        ? ''
        : `| | C dump without extensions (diagDump.c), against ours without tcp_info | ${cPlain.wallMs.toFixed(0)} ms (cpu ${cPlain.cpuMs.toFixed(0)}) | ${(plain.wallMs / cPlain.wallMs).toFixed(2)}x wall, ${(plain.cpuMs / cPlain.cpuMs).toFixed(2)}x cpu | |`,
      row('ss -tin', ssTin),
      `| | exporter process with --collector.connections --collector.tcpinfo | cycle ${exp.cycleMs.toFixed(0)} ms, cpu ${exp.cpuPerCycleMs.toFixed(0)} ms/cycle | | ${exp.peakRssMb.toFixed(0)} MB; **${chargesText(exp)}**; ${limited} |`,
    ].filter((line) => line !== '');
  } finally {
    ns.destroy();
  }
}

if (process.getuid?.() !== 0) {
  console.error('bench:connections skipped: it needs root to create network namespaces (run it with sudo)');
  process.exit(0);
}
const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const tmp = mkdtempSync(join(tmpdir(), 'tcpstate-bench-'));
const load = (): string => loadavg().map((l) => l.toFixed(1)).join(' ');
const loadAtStart = load();
try {
  const rateRows: string[] = [];
  if (PARTS.has('rates')) for (const [bytes, label] of BUFFERS) rateRows.push(...(await closeRates(bytes, label)));
  const diagDump = buildDiagDump(tmp, SOURCES);
  const infoRows: string[] = [];
  if (PARTS.has('tcpinfo')) for (const size of sizes.length ? sizes : [10_000, 100_000]) infoRows.push(...(await tcpInfoCost(size, diagDump)));
  console.log(`Load average at start ${loadAtStart}, at the end ${load()} (1, 5, 15 min; the machine has ${availableParallelism()} CPUs and is shared).\n`);
  console.log(`--collector.connections: ${GENERATORS} generators closing loopback connections for ${STEP_S} s per step, in a private namespace (node ${process.version}).`);
  console.log('Closes are destroyed sockets (two per connection). CPU is the collector process\'s (event loop and pool thread), not the kernel\'s work of building the events.\n');
  console.log('| receive buffer | asked /s | reached /s | closed | counted | lost | counted + lost − closed | collector CPU | per 1,000 closes/s | per close |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const row of rateRows) console.log(row);
  console.log(
    `\n--collector.tcpinfo: held ESTABLISHED connections. With tcp_info: ${PAIRS} rounds, each a warm cycle of one collector process and a run of each C dump (timing its own dumps), in rotating order with ${SETTLE_MS} ms between; the ratios are medians of the per-round ratios. Without tcp_info: medians of ${ROUNDS} fresh processes' warm cycles; ss -tin: median of ${ROUNDS} runs. Ratio: our cycle over the reference.\n`,
  );
  console.log('| sockets | reader | wall | ours over it | peak RSS |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const row of infoRows) console.log(row);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
