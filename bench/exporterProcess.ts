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
 * cgroup removed before it returns.
 */
export async function exporterProcess(ns: Netns, intervalMs: number, rounds: number, extraArgs: readonly string[] = []): Promise<ExporterRun> {
  const group = new MemoryCgroup('tcpstate-bench');
  const args = ['--web.listen-address=127.255.255.1:19816', `--collector.interval=${intervalMs}ms`, '--log.format=json', ...extraArgs];
  const { child } = await ns.startUntil(CLI, args, /first collection done/, 'stderr', group.prefix());
  try {
    const url = 'http://127.255.255.1:19816/metrics';
    const { cycles, cpuPerCycleMs } = JSON.parse(ns.run(process.execPath, [join(here, 'scrape.js'), 'cycles', url, String(rounds)]).stdout) as { cycles: number[]; cpuPerCycleMs: number };
    const cgroupScrapedPerCycle = group.charge();
    const load = JSON.parse(ns.run(process.execPath, [join(here, 'scrape.js'), 'load', url, '10', '10']).stdout) as ExporterRun['latency'];
    const mem = processMemory(child.pid!);
    return { cycleMs: median(cycles), cpuPerCycleMs, peakRssMb: mem.peakMb, privateMb: mem.privateMb, fileMb: mem.fileMb, latency: load, cgroup: group.charge(), cgroupScrapedPerCycle };
  } finally {
    // The next run binds the same port.
    if (child.exitCode === null && child.signalCode === null) await new Promise((resolve) => child.once('exit', resolve).kill('SIGTERM'));
    group.destroy();
  }
}

/** The charge scraped once per cycle, then after the concurrent scrapers (with its peak and parts), as a table cell. */
export function chargesText(run: ExporterRun): string {
  const c = run.cgroup;
  return `memory cgroup charge ${run.cgroupScrapedPerCycle.currentMb.toFixed(0)} MB scraped once a cycle; ${c.currentMb.toFixed(0)} MB after 10 concurrent scrapers for 10 s (peak ${c.peakMb.toFixed(0)}; anon ${c.anonMb.toFixed(0)}, page cache ${c.fileMb.toFixed(0)})`;
}
