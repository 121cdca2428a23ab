/**
 * npm run bench:churn -- [seconds, default 300] [skewed|uniform, default skewed]   (root: it creates a network namespace)
 * Series churn against a real Prometheus: in a namespace of its own, a churning population
 * (bench/churnWorkload.ts: pools that take turns in the top K, listeners on kernel-chosen ports
 * that come and go, destinations that take turns and come and go; pool sizes skewed as on a real
 * host, or uniform: the worst case) is collected by two exporters
 * at 1 s intervals, scraped every second by one Prometheus:
 * - "bounded": the defaults (ports inside the ephemeral range in port="ephemeral", admission and
 *   keep hysteresis, stable destination ranks);
 * - "per-cycle": --collector.ports.ephemeral-by-number with admit and keep cycles at 0: the
 *   busiest K of each cycle, as before issue 14.
 * The exporters start once the population is in its steady state (70 s: pools full, TIME_WAIT
 * built up). Every 30 s and at the end it prints, per exporter and per group of families, the distinct
 * series Prometheus stored since the start against the series live now (the most at any second of
 * the last 30 s, so that a scrape timed out on a loaded machine does not count as churn), and their ratio
 * (target for "bounded": <= 1.2x). Everything it creates is removed at the end.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Netns } from './netns.js';

const here = dirname(fileURLToPath(import.meta.url));
const CLI = join(here, '..', 'src', 'cli.js');
const SECONDS = Number(process.argv[2] ?? 300);
const MODE = process.argv[3] ?? 'skewed';
const REPORT_EVERY_S = 30;
const TARGET = 1.2;
const SETTLE_S = 70;
const LIVE_WINDOW_S = 30;

const GROUPS: Record<string, readonly string[]> = {
  'per-port families': [
    'tcpstate_port_sockets',
    'tcpstate_port_established_keepalive_sockets',
    'tcpstate_listen_queue_length',
    'tcpstate_listen_queue_backlog',
    'tcpstate_listen_queue_max_fill_ratio',
    'tcpstate_listeners',
  ],
  'destination families': ['tcpstate_ephemeral_port_destination_ports', 'tcpstate_ephemeral_port_destination_usage_ratio'],
};

const EXPORTERS = [
  { job: 'bounded', port: 19816, args: [] as string[] },
  { job: 'per-cycle', port: 19817, args: ['--collector.ports.ephemeral-by-number', '--collector.series.admit-cycles=0', '--collector.series.keep-cycles=0'] },
];

/** An instant query run inside the namespace (its loopback is not reachable from here). */
const QUERY = `import json, sys, urllib.parse, urllib.request
u = "http://127.0.0.1:9090/api/v1/query?" + urllib.parse.urlencode({"query": sys.argv[1]})
print(urllib.request.urlopen(u, timeout=30).read().decode())`;

function query(ns: Netns, expr: string): number {
  const r = ns.run('python3', ['-c', QUERY, expr]);
  const body = JSON.parse(r.stdout) as { status: string; data: { result: Array<{ value: [number, string] }> } };
  if (body.status !== 'success') throw new Error(`query ${expr} failed`);
  return Number(body.data.result[0]?.value[1] ?? 0);
}

interface Counts {
  distinct: number;
  live: number;
}

/** `count(expr)` for each family, summed in one query (a family with no series counts 0). */
function sumOfCounts(families: readonly string[], expr: (family: string) => string): string {
  return families.map((f) => `(count(${expr(f)}) or vector(0))`).join(' + ');
}

/**
 * Distinct series stored over the last `windowS` seconds, and series live, summed over a group.
 * Live is the most series present at any second of the last LIVE_WINDOW_S: a scrape that fails
 * (a timeout on a loaded machine) marks every series of its target stale, and the count of that
 * instant alone would be short.
 */
function counts(ns: Netns, job: string, families: readonly string[], windowS: number): Counts {
  const distinct = query(ns, sumOfCounts(families, (f) => `count_over_time(${f}{job="${job}"}[${windowS}s])`));
  const live = query(ns, `max_over_time((${sumOfCounts(families, (f) => `${f}{job="${job}"}`)})[${LIVE_WINDOW_S}s:1s])`);
  return { distinct, live };
}

async function main(): Promise<void> {
  const ns = new Netns('tcpstate-bench-churn');
  const dir = mkdtempSync(join(tmpdir(), 'tcpstate-churn-prom-'));
  try {
    await ns.startUntil(process.execPath, [join(here, 'churnWorkload.js'), MODE], /"ready":true/);
    // The exporters start on a host in its steady state: the pools have filled, transient
    // listeners and destinations come and go, and TIME_WAIT sockets (60 s) have built up.
    await sleep(SETTLE_S * 1000);
    for (const e of EXPORTERS) {
      await ns.startUntil(CLI, [`--web.listen-address=127.0.0.1:${e.port}`, '--collector.interval=1s', '--log.format=json', ...e.args], /"url":"/, 'stderr');
    }
    const jobs = EXPORTERS.map((e) => `  - job_name: ${e.job}\n    static_configs:\n      - targets: ['127.0.0.1:${e.port}']\n`).join('');
    writeFileSync(join(dir, 'prometheus.yml'), `global:\n  scrape_interval: 1s\nscrape_configs:\n${jobs}`);
    ns.start('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, '--web.listen-address=127.0.0.1:9090']);
    for (let i = 0; ns.exec('python3', ['-c', QUERY, 'up']).status !== 0; i++) {
      if (i > 60) throw new Error('Prometheus did not start');
      await sleep(1000);
    }
    const start = Date.now();
    console.log(`Series churn: ${SECONDS} s, ${MODE} pool sizes, exporters at 1 s intervals, scraped every 1 s by Prometheus ${promVersion(ns)}; "bounded" = defaults, "per-cycle" = ports by number, admit and keep cycles 0.\n`);
    console.log('| t | exporter | families | distinct series stored since start | live now (most in the last 30 s) | ratio |');
    console.log('| --- | --- | --- | --- | --- | --- |');
    let last: Record<string, Counts> = {};
    for (let t = REPORT_EVERY_S; t <= SECONDS; t += REPORT_EVERY_S) {
      await sleep(start + t * 1000 - Date.now());
      const windowS = Math.floor((Date.now() - start) / 1000);
      last = {};
      for (const e of EXPORTERS) {
        for (const [group, families] of Object.entries(GROUPS)) {
          const c = counts(ns, e.job, families, windowS);
          last[`${e.job} ${group}`] = c;
          console.log(`| ${windowS} s | ${e.job} | ${group} | ${c.distinct} | ${c.live} | ${(c.distinct / c.live).toFixed(2)}x |`);
        }
      }
    }
    console.log('\nAt the end of the run (distinct series over the whole run / live series now):');
    for (const [key, c] of Object.entries(last)) {
      const ratio = c.distinct / c.live;
      const verdict = key.startsWith('bounded') ? (ratio <= TARGET ? ` (target <= ${TARGET}x: met)` : ` (target <= ${TARGET}x: NOT met)`) : '';
      console.log(`- ${key}: ${c.distinct} / ${c.live} = ${ratio.toFixed(2)}x${verdict}`);
    }
  } finally {
    ns.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

function promVersion(ns: Netns): string {
  return /version (\S+)/.exec(ns.exec('prometheus', ['--version']).stdout)?.[1] ?? '?';
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.max(0, ms)));
}

await main();
