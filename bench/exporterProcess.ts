import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './measure.js';
import { MemoryCgroup, type CgroupCharge } from './memoryCgroup.js';
import { processMemory, type Netns } from './netns.js';

const here = dirname(fileURLToPath(import.meta.url));
const CLI = join(here, '..', 'src', 'cli.js');

/** The real exporter, measured as deployed: its own cycle, its memory, /metrics latency while it collects. */
export interface ExporterRun {
  /** Median of tcpstate_collection_duration_seconds over the scraped cycles, in ms. */
  cycleMs: number;
  /** Process CPU (process_cpu_seconds_total) per cycle, in ms. */
  cpuPerCycleMs: number;
  /** VmHWM, RssAnon and RssFile of /proc/<pid>/status at the end, in MB. */
  peakRssMb: number;
  privateMb: number;
  fileMb: number;
  latency: { p50: number; p99: number; max: number; requests: number; non2xx: number };
  /** Its memory cgroup's charge after the scrapers: what a container limit goes by. */
  cgroup: CgroupCharge;
  /** The charge before them, after `rounds` cycles each scraped once: what a Prometheus scraping it every interval sees. */
  cgroupScrapedPerCycle: CgroupCharge;
}

/**
 * Runs the built exporter (exec'd as the package's bin is, so the shebang's runtime flags apply)
 * inside `ns` and a memory cgroup of its own, with `extraArgs` (collector flags); `rounds` cycles
 * are scraped for their duration and CPU, then 10 scrapers run for 10 s. Stopped (SIGTERM) and its
 * cgroup removed before it returns. `limitMb`: the cgroup's memory limit (none by default), as a
 * container's; the run fails if the exporter does not live through it (an OOM kill).
 */
export async function exporterProcess(ns: Netns, intervalMs: number, rounds: number, extraArgs: readonly string[] = [], limitMb?: number): Promise<ExporterRun> {
  const group = new MemoryCgroup('tcpstate-bench', limitMb);
  const args = ['--web.listen-address=127.255.255.1:19816', `--collector.interval=${intervalMs}ms`, '--log.format=json', ...extraArgs];
  const { child } = await ns.startUntil(CLI, args, /first collection done/, 'stderr', group.prefix());
  try {
    const url = 'http://127.255.255.1:19816/metrics';
    const { cycles, cpuPerCycleMs } = JSON.parse(ns.run(process.execPath, [join(here, 'scrape.js'), 'cycles', url, String(rounds)]).stdout) as { cycles: number[]; cpuPerCycleMs: number };
    const cgroupScrapedPerCycle = group.charge();
    const load = JSON.parse(ns.run(process.execPath, [join(here, 'scrape.js'), 'load', url, '10', '10']).stdout) as ExporterRun['latency'];
    const mem = processMemory(child.pid!);
    return { cycleMs: median(cycles), cpuPerCycleMs, peakRssMb: mem.peakMb, privateMb: mem.privateMb, fileMb: mem.fileMb, latency: load, cgroup: group.charge(), cgroupScrapedPerCycle };
  } catch (err) {
    // Killed under the limit, the exporter stops answering: say so rather than only that a scrape failed.
    const kills = group.charge().oomKills;
    throw kills > 0 ? new Error(`the exporter was OOM-killed under a ${limitMb} MB limit (${kills} kills): ${String(err)}`) : err;
  } finally {
    // The next run binds the same port.
    if (child.exitCode === null && child.signalCode === null) await new Promise((resolve) => child.once('exit', resolve).kill('SIGTERM'));
    group.destroy();
  }
}

/** The charge scraped once per cycle, then after the concurrent scrapers (with its peak, parts and working set), as a table cell. */
export function chargesText(run: ExporterRun): string {
  const c = run.cgroup;
  const once = run.cgroupScrapedPerCycle;
  return `memory cgroup charge ${once.currentMb.toFixed(0)} MB scraped once a cycle (working set ${once.workingSetMb.toFixed(0)}); ${c.currentMb.toFixed(0)} MB after 10 concurrent scrapers for 10 s (working set ${c.workingSetMb.toFixed(0)}, peak ${c.peakMb.toFixed(0)}; anon ${c.anonMb.toFixed(0)}, page cache ${c.fileMb.toFixed(0)})`;
}

/** A run under a memory limit, as a table cell: OOM kills, the times the limit was hit, the charge after the scrapers. */
export function limitText(run: ExporterRun, limitMb: number): string {
  const c = run.cgroup;
  return `under a ${limitMb} MB limit: ${c.oomKills} OOM kills, the limit hit ${c.limitHits} times, cycle ${run.cycleMs.toFixed(0)} ms, charge ${c.currentMb.toFixed(0)} MB after the scrapers (anon ${c.anonMb.toFixed(0)}, page cache ${c.fileMb.toFixed(0)}), scrapes p99 ${run.latency.p99.toFixed(0)} ms, ${run.latency.non2xx} not 2xx`;
}
