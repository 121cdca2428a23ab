/**
 * Runs inside the benchmark's namespace: scrapes a URL `rounds` times, one after another, and
 * prints {"ms":[…]}; with "load", runs autocannon against it and prints its latency percentiles.
 *   node dist/bench/scrape.js times <url> <rounds>
 *   node dist/bench/scrape.js load <url> <connections> <seconds>
 *   node dist/bench/scrape.js cycles <url> <n>   (our exporter: the sockets collector's duration
 *     over n fresh snapshots, and the exporter's CPU per cycle, polled from this one process)
 */
import autocannon from 'autocannon';

const [mode, url, a, b] = process.argv.slice(2);
if (!url) throw new Error('usage: scrape.js times|load <url> …');
function sample(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.slice(name.length + 1)) : NaN;
}

if (mode === 'cycles') {
  const read = async (): Promise<string> => (await fetch(url)).text();
  const cycles: number[] = [];
  let text = await read();
  let seen = sample(text, 'tcpstate_snapshot_timestamp_seconds');
  const cpu0 = sample(text, 'process_cpu_seconds_total');
  while (cycles.length < Number(a ?? 5)) {
    await new Promise((r) => setTimeout(r, 100));
    text = await read();
    const ts = sample(text, 'tcpstate_snapshot_timestamp_seconds');
    if (ts !== seen) {
      seen = ts;
      cycles.push(sample(text, 'tcpstate_collector_duration_seconds{collector="sockets"}') * 1000);
    }
  }
  await new Promise((r) => setTimeout(r, 1100)); // process metrics are rendered at most once a second
  const cpuMs = (sample(await read(), 'process_cpu_seconds_total') - cpu0) * 1000;
  process.stdout.write(`${JSON.stringify({ cycles, cpuPerCycleMs: cpuMs / cycles.length })}\n`);
} else if (mode === 'times') {
  const ms: number[] = [];
  for (let i = 0; i < Number(a ?? 5); i++) {
    const t0 = performance.now();
    const res = await fetch(url);
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
    ms.push(performance.now() - t0);
  }
  process.stdout.write(`${JSON.stringify({ ms })}\n`);
} else {
  const r = await autocannon({ url, connections: Number(a ?? 10), duration: Number(b ?? 10) });
  process.stdout.write(`${JSON.stringify({ p50: r.latency.p50, p99: r.latency.p99, max: r.latency.max, requests: r.requests.total, non2xx: r.non2xx, errors: r.errors })}\n`);
}
