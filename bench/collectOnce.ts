/**
 * Child process of bench/run.ts: one measured collection, then a JSON line on stdout.
 * Peak RSS is the process's own maxRSS, so every measurement starts from a fresh process.
 *   node dist/bench/collectOnce.js <mode> <procfs> [warm cycles, default 5]
 * streaming: procfs tables through our parser (synthetic trees); naive: read/split/objects;
 * procfs: the procfs source on a real /proc, with listen backlogs joined from netlink;
 * netlink: the sock_diag source (the exporter's default on Linux);
 * netlink-tcpinfo: the same with --collector.tcpinfo (tcp_info asked for and folded in the walk);
 * systeminformation: networkConnections(), what a Node user reaches for first;
 * processes: a --collector.processes scan (socket walk over netlink, then every /proc/<pid>/fd);
 * netns: a --collector.netns cycle over every network namespace (the own one walked over netlink).
 * With `serve` in place of the cycle count, the process stays up and runs one cycle per line read
 * on stdin, answering each with a JSON line (wallMs, cpuMs, sockets, peakRssMb): a benchmark can
 * then interleave our cycles with a reference's, one by one, in the same warm process.
 * streaming, procfs and netlink run the sockets collector as the exporter does (aggregation and
 * ephemeral-port tracking in one pass).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DEFAULT_SERIES_HYSTERESIS } from '../src/aggregate/portSeries.js';
import { DEFAULT_PORT_LIMITS } from '../src/aggregate/socketSummary.js';
import type { Collector } from '../src/collectors/collector.js';
import { NetnsCollector } from '../src/collectors/netnsCollector.js';
import { DEFAULT_EPHEMERAL_OPTIONS, DEFAULT_NETNS_OPTIONS, DEFAULT_PROCESS_OPTIONS } from '../src/collectors/options.js';
import { ProcessesCollector } from '../src/collectors/processesCollector.js';
import { SocketsCollector } from '../src/collectors/socketsCollector.js';
import type { Log } from '../src/model/log.js';
import { queryListenerBacklogs } from '../src/sources/netlink/listenerBacklogs.js';
import { NetlinkSocketSource } from '../src/sources/netlinkSocketSource.js';
import { ProcfsSocketSource } from '../src/sources/procfsSocketSource.js';
import type { SocketSource } from '../src/sources/socketSource.js';
import { SysteminformationSocketSource } from '../src/sources/systeminformationSource.js';

interface NaiveSocket {
  state: number;
  localPort: number;
  remotePort: number;
}

/** What a first attempt looks like: read whole, split into lines, an object per socket. */
function naiveCollect(procfs: string): number {
  const sockets: NaiveSocket[] = [];
  for (const file of ['net/tcp', 'net/tcp6']) {
    const lines = readFileSync(join(procfs, file), 'utf8').split('\n').slice(1);
    for (const line of lines) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10) continue;
      const [, local = '', remote = '', st = ''] = cols;
      sockets.push({ state: parseInt(st, 16), localPort: parseInt(local.split(':')[1]!, 16), remotePort: parseInt(remote.split(':')[1]!, 16) });
    }
  }
  const byState = new Map<number, number>();
  for (const s of sockets) byState.set(s.state, (byState.get(s.state) ?? 0) + 1);
  return sockets.length;
}

const quiet: Log = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** The collector a mode measures, built once so warm cycles reuse its buffers as the exporter does. */
function collectorFor(mode: string, procfs: string): () => Promise<number> {
  if (mode === 'naive') return async () => naiveCollect(procfs);
  const source: SocketSource =
    mode === 'systeminformation'
      ? new SysteminformationSocketSource()
      : mode === 'streaming'
        ? new ProcfsSocketSource(procfs)
        : mode === 'procfs'
          ? new ProcfsSocketSource(procfs, () => queryListenerBacklogs())
          : new NetlinkSocketSource();
  const ctx = { procfs, log: quiet };
  if (mode === 'processes') {
    const c = new ProcessesCollector(source, { ...DEFAULT_PROCESS_OPTIONS, intervalMs: 0 });
    return async () => {
      const r = await c.collect(ctx);
      return r.top.reduce((a, t) => a + t.sockets, 0) + r.unattributed.reduce((a, b) => a + b, 0);
    };
  }
  if (mode === 'netns') {
    const c = new NetnsCollector({ ...DEFAULT_NETNS_OPTIONS, max: 100_000 }, source);
    return async () => (await c.collect(ctx)).namespaces.reduce((a, n) => a + n.states.reduce((x, y) => x + y, 0), 0);
  }
  const c: Collector<{ tables: ReadonlyArray<{ sockets: number }> }> = new SocketsCollector(source, DEFAULT_PORT_LIMITS, DEFAULT_EPHEMERAL_OPTIONS, DEFAULT_SERIES_HYSTERESIS, mode === 'netlink-tcpinfo');
  return async () => (await c.collect(ctx)).tables.reduce((a, t) => a + t.sockets, 0);
}

/** One timed collection: wall and CPU (user + system, all threads) in ms. */
async function timed(collect: () => Promise<number>): Promise<{ wallMs: number; cpuMs: number; sockets: number }> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const sockets = await collect();
  const cpu = process.cpuUsage(cpu0);
  return { wallMs: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000, sockets };
}

/** `serve`: a cycle per stdin line, a JSON answer per cycle, until stdin ends. */
async function serve(collect: () => Promise<number>): Promise<void> {
  process.stdout.write('{"ready":true}\n');
  for await (const _line of createInterface({ input: process.stdin })) {
    const run = await timed(collect);
    process.stdout.write(`${JSON.stringify({ ...run, peakRssMb: process.resourceUsage().maxRSS / 1024 })}\n`);
  }
}

async function main(): Promise<void> {
  const [mode, procfs, cycles] = process.argv.slice(2);
  const modes = ['streaming', 'naive', 'procfs', 'netlink', 'netlink-tcpinfo', 'systeminformation', 'processes', 'netns'];
  if (!procfs || !modes.includes(mode ?? '')) throw new Error(`usage: collectOnce <${modes.join('|')}> <procfs> [warm cycles|serve]`);
  const collect = collectorFor(mode!, procfs);
  if (cycles === 'serve') return serve(collect);
  const WARM_CYCLES = Number(cycles ?? 5);
  // A daemon pays the first (cold, unoptimized) cycle once; every later cycle is warm.
  const runs: Array<{ wallMs: number; cpuMs: number; sockets: number }> = [];
  for (let i = 0; i <= WARM_CYCLES; i++) runs.push(await timed(collect));
  // With no warm cycle asked for, the one (cold) run stands for both.
  const warm = WARM_CYCLES > 0 ? runs.slice(1).sort((a, b) => a.wallMs - b.wallMs)[Math.floor(WARM_CYCLES / 2)]! : runs[0]!;
  process.stdout.write(
    `${JSON.stringify({ sockets: warm.sockets, wallMs: warm.wallMs, cpuMs: warm.cpuMs, coldMs: runs[0]!.wallMs, peakRssMb: process.resourceUsage().maxRSS / 1024 })}\n`,
  );
}

void main();
