/**
 * Runs inside the benchmark's namespace: scrapes a URL `rounds` times, one after another, and
 * prints {"ms":[…]}; with "load", runs autocannon against it and prints its latency percentiles.
 *   node dist/bench/scrape.js times <url> <rounds>
 *   node dist/bench/scrape.js load <url> <connections> <seconds>
 *   node dist/bench/scrape.js body <url>   (prints the body)
 *   node dist/bench/scrape.js slow <url> <clients> <seconds>   (slow clients: each sends a request
 *     one byte a second; prints how many the server cut off, and after how long)
 *   node dist/bench/scrape.js cycles <url> <n>   (our exporter: the sockets collector's duration
 *     over n fresh snapshots, and the exporter's CPU per cycle, polled from this one process)
 */
import { connect } from 'node:net';
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
} else if (mode === 'body') {
  process.stdout.write(await (await fetch(url)).text());
} else if (mode === 'slow') {
  const { hostname, port } = new URL(url);
  const request = `GET ${new URL(url).pathname} HTTP/1.1\r\nHost: ${hostname}\r\nX-Slow: ${'x'.repeat(4000)}\r\n\r\n`;
  const cutAfter: number[] = [];
  const deadline = Date.now() + Number(b ?? 60) * 1000;
  await Promise.all(
    Array.from({ length: Number(a ?? 20) }, async () => {
      const t0 = Date.now();
      const sock = connect({ host: hostname, port: Number(port) });
      sock.on('error', () => undefined);
      let closed = false;
      sock.once('close', () => {
        closed = true;
      });
      for (let i = 0; i < request.length && !closed && Date.now() < deadline; i++) {
        sock.write(request[i]!);
        await new Promise((r) => setTimeout(r, 1000));
      }
      if (closed) cutAfter.push((Date.now() - t0) / 1000);
      sock.destroy();
    }),
  );
  cutAfter.sort((x, y) => x - y);
  process.stdout.write(`${JSON.stringify({ clients: Number(a ?? 20), cutOffByServer: cutAfter.length, medianSecondsBeforeCut: cutAfter[Math.floor(cutAfter.length / 2)] ?? null })}\n`);
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
