/**
 * Child process of bench/run.ts: one measured collection, then a JSON line on stdout.
 * Peak RSS is the process's own maxRSS, so every measurement starts from a fresh process.
 *   node dist/bench/collectOnce.js <streaming|naive> <procfs>
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SocketAggregator } from '../src/aggregate/socketAggregator.js';
import { DEFAULT_PORT_LIMITS } from '../src/aggregate/socketSummary.js';
import { ProcfsSocketSource } from '../src/sources/procfsSocketSource.js';

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

async function main(): Promise<void> {
  const [mode, procfs] = process.argv.slice(2);
  if (!procfs || (mode !== 'streaming' && mode !== 'naive')) throw new Error('usage: collectOnce <streaming|naive> <procfs>');
  const rssBefore = process.memoryUsage().rss;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let sockets = 0;
  if (mode === 'streaming') {
    const agg = new SocketAggregator(DEFAULT_PORT_LIMITS);
    const { tables } = await new ProcfsSocketSource(procfs).walk(agg);
    agg.summarize();
    sockets = tables.reduce((a, t) => a + t.sockets, 0);
  } else {
    sockets = naiveCollect(procfs);
  }
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write(
    `${JSON.stringify({ sockets, wallMs, cpuMs: (cpu.user + cpu.system) / 1000, peakRssMb: process.resourceUsage().maxRSS / 1024, startRssMb: rssBefore / 2 ** 20 })}\n`,
  );
}

void main();
