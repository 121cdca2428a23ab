/**
 * npm run bench:netns -- [namespaces…]   (root: it creates network namespaces)
 * The cost of --collector.netns on a node with many pods: creates N network namespaces, each with
 * one process holding a pod-like socket table (a listener, 5 open connections to itself, 1 in
 * CLOSE_WAIT: 13 sockets), and measures one netns collection cycle (fresh process, warm median)
 * against what a script would do: `ip netns exec <ns> ss -tan` for each namespace, and
 * `cat /proc/<pid>/net/tcp{,6}` for one process of each. Everything is removed at the end.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, medianMeasure, type CycleMeasure } from './measure.js';
import { canCreateNetns, Netns } from './netns.js';

const here = dirname(fileURLToPath(import.meta.url));
const HOLDER = join(here, '..', '..', 'test', 'helpers', 'socket_holder.py');
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 5);

function timeMs(command: string, args: readonly string[]): number {
  const t0 = performance.now();
  const r = spawnSync(command, args, { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`${command} failed`);
  return performance.now() - t0;
}

async function measure(count: number): Promise<string[]> {
  const spaces: Netns[] = [];
  try {
    const pids: number[] = [];
    const t0 = performance.now();
    for (let i = 0; i < count; i++) spaces.push(new Netns('tcpstate-bnetns'));
    await Promise.all(
      spaces.map(async (ns) => {
        const { line } = await ns.startUntil('python3', [HOLDER, 'app', '5', '1'], /"ready": true/);
        pids.push((JSON.parse(line) as { pid: number }).pid);
      }),
    );
    console.error(`# ${count} namespaces with a holder each, built in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    const ours = medianMeasure(
      Array.from({ length: ROUNDS }, () => {
        const r = spawnSync(process.execPath, [join(here, 'collectOnce.js'), 'netns', '/proc', '3'], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`collectOnce netns failed: ${r.stderr}`);
        return JSON.parse(r.stdout) as CycleMeasure;
      }),
    );
    const ss = median(Array.from({ length: ROUNDS }, () => timeMs('sh', ['-c', spaces.map((ns) => `ip netns exec ${ns.name} ss -tan`).join(' > /dev/null; ') + ' > /dev/null'])));
    const cat = median(Array.from({ length: ROUNDS }, () => timeMs('sh', ['-c', `cat ${pids.map((p) => `/proc/${p}/net/tcp /proc/${p}/net/tcp6`).join(' ')} > /dev/null`])));
    const r = (ms: number): string => `${(ms / ours.wallMs).toFixed(2)}x`;
    return [
      `| ${count} | ours: one --collector.netns cycle (all namespaces, host included) | ${ours.wallMs.toFixed(0)} ms (cold ${ours.coldMs.toFixed(0)}, cpu ${ours.cpuMs.toFixed(0)}); ${(ours.wallMs / (count + 1)).toFixed(2)} ms per namespace | 1.00x | ${ours.peakRssMb.toFixed(0)} MB |`,
      `| | ip netns exec <ns> ss -tan, for each | ${ss.toFixed(0)} ms | ${r(ss)} | |`,
      `| | cat /proc/<pid>/net/tcp{,6}, one pid per namespace | ${cat.toFixed(0)} ms | ${r(cat)} | |`,
    ];
  } finally {
    for (const ns of spaces) ns.destroy();
  }
}

if (!canCreateNetns()) {
  console.error('bench:netns skipped: it needs root to create network namespaces (run it with sudo)');
  process.exit(0);
}
const counts = process.argv.slice(2).map(Number).filter((n) => n > 0);
const rows: string[] = [];
for (const count of counts.length ? counts : [100, 300]) rows.push(...(await measure(count)));
console.log(`Network namespaces created by the benchmark, each with one process holding 13 sockets; medians of ${ROUNDS} rounds (node ${process.version}).\n`);
console.log('| namespaces | reader | wall | ratio | peak RSS |');
console.log('| --- | --- | --- | --- | --- |');
for (const row of rows) console.log(row);
