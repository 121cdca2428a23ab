/**
 * Runs inside the benchmark's namespace: scrapes a URL `rounds` times, one after another, and
 * prints {"ms":[…]}; with "load", runs autocannon against it and prints its latency percentiles.
 *   node dist/bench/scrape.js times <url> <rounds>
 *   node dist/bench/scrape.js load <url> <connections> <seconds>
 */
import autocannon from 'autocannon';

const [mode, url, a, b] = process.argv.slice(2);
if (!url) throw new Error('usage: scrape.js times|load <url> …');
if (mode === 'times') {
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
