/**
 * npm run bench:soak   (root: it creates a network namespace)
 * Thousands of collection cycles on a changing population, under load: the exporter collects
 * every 100 ms in a namespace of its own while bench/churn.js replaces 500 connections a second
 * (TIME_WAIT included), ten scrapers hit /metrics back to back and twenty slow clients trickle
 * request bytes. Prints the exporter's resident memory every 15 s (the curve should be flat),
 * the cycles done, and /metrics latency. BENCH_SOAK_S sets the duration (default 300 s: ~3,000 cycles).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { canCreateNetns, Netns } from './netns.js';

const here = dirname(fileURLToPath(import.meta.url));
const CLI = join(here, '..', 'src', 'cli.js');
const SECONDS = Number(process.env['BENCH_SOAK_S'] ?? 300);
const SAMPLE_S = 15;

function memory(pid: number): { rss: number; anon: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string): number => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN) / 1024;
  return { rss: kb('VmRSS'), anon: kb('RssAnon'), hwm: kb('VmHWM') };
}

if (!canCreateNetns()) {
  console.error('bench:soak skipped: it needs root to create a network namespace');
  process.exit(0);
}
const ns = new Netns('tcpstate-soak', { 'net.ipv4.ip_local_port_range': '1024 65535', 'net.ipv4.tcp_max_tw_buckets': '400000' });
try {
  await ns.startUntil(process.execPath, [join(here, 'churn.js'), '3000', '50', '100'], /"ready":true/);
  const { child } = await ns.startUntil(CLI, ['--web.listen-address=127.255.255.1:19816', '--collector.interval=100ms', '--log.format=json'], /first collection done/, 'stderr');
  const url = 'http://127.255.255.1:19816/metrics';
  const pid = child.pid!;
  const load = ns.start(process.execPath, [join(here, 'scrape.js'), 'load', url, '10', String(SECONDS)]);
  let loadOut = '';
  load.stdout!.on('data', (d: Buffer) => (loadOut += d.toString()));
  load.stderr!.resume(); // autocannon's progress output: drained, or the full pipe stops it
  const loadDone = new Promise((r) => load.once('exit', r));
  const slow = ns.start(process.execPath, [join(here, 'scrape.js'), 'slow', url, '20', String(SECONDS)]);
  let slowOut = '';
  slow.stdout!.on('data', (d: Buffer) => (slowOut += d.toString()));
  slow.stderr!.resume();
  const slowDone = new Promise((r) => slow.once('exit', r));
  // Asynchronously: a synchronous child would stop this process from draining the exporter's log pipe.
  const body = async (): Promise<string> => {
    const c = ns.start(process.execPath, [join(here, 'scrape.js'), 'body', url]);
    let out = '';
    c.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise((r) => c.once('exit', r));
    return out;
  };
  const first = Number(/^tcpstate_snapshot_timestamp_seconds (\S+)$/m.exec(await body())?.[1]);
  const rows: string[] = [];
  const t0 = Date.now();
  for (let t = 0; t <= SECONDS; t += SAMPLE_S) {
    const m = memory(pid);
    rows.push(`| ${t} | ${m.rss.toFixed(1)} | ${m.anon.toFixed(1)} | ${m.hwm.toFixed(1)} |`);
    if (t + SAMPLE_S <= SECONDS) await new Promise((r) => setTimeout(r, t0 + (t + SAMPLE_S) * 1000 - Date.now()));
  }
  await loadDone;
  await slowDone;
  const finalBody = await body();
  const last = Number(/^tcpstate_snapshot_timestamp_seconds (\S+)$/m.exec(finalBody)?.[1]);
  const cycleMs = Number(/^tcpstate_collection_duration_seconds (\S+)$/m.exec(finalBody)?.[1]) * 1000;
  const sockets = [...finalBody.matchAll(/^tcpstate_sockets\{[^}]*\} (\d+)/gm)].reduce((a, m) => a + Number(m[1]), 0);
  const latency = JSON.parse(loadOut) as { p50: number; p99: number; max: number; requests: number; non2xx: number };
  console.log(`Soak: ${SECONDS} s, collection every 100 ms (~${Math.round((last - first) * 10)} cycles of ~${cycleMs.toFixed(0)} ms, ${sockets} sockets at the end, 500 replaced per second), node ${process.version}.`);
  console.log(`/metrics under 10 back-to-back scrapers throughout: p50 ${latency.p50} ms, p99 ${latency.p99} ms, max ${latency.max} ms, ${latency.requests} requests, ${latency.non2xx} non-2xx; slow clients: ${slowOut.trim()}.\n`);
  console.log('| seconds | RSS MB | private (RssAnon) MB | peak RSS MB |');
  console.log('| --- | --- | --- | --- |');
  for (const r of rows) console.log(r);
} finally {
  ns.destroy();
}
