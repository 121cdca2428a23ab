/**
 * Child process of bench/connections.ts, inside its network namespace: the connections collector
 * as the exporter runs it, without the HTTP server (a scrape would itself be a closed connection).
 *   node dist/bench/connectionsProbe.js <receive buffer bytes>
 * Prints {"ready":true,…} once reading; then, for every "read" line on stdin, collects and prints
 * {"counted","withoutPeer","lost","cpuMs","receiveBufferBytes"}: totals since start, and this
 * process's CPU time (the event loop and the pool thread waiting in recv()).
 */
import { createInterface } from 'node:readline';
import { DEFAULT_PORT_LIMITS } from '../src/aggregate/socketSummary.js';
import { ConnectionsCollector } from '../src/collectors/connectionsCollector.js';
import type { Log } from '../src/model/log.js';

const quiet: Log = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const collector = new ConnectionsCollector(DEFAULT_PORT_LIMITS, { receiveBufferBytes: Number(process.argv[2] ?? 4 << 20) });
const ctx = { procfs: '/proc', log: quiet };

async function read(): Promise<string> {
  const r = await collector.collect(ctx);
  const cpu = process.cpuUsage();
  return JSON.stringify({ counted: r.connections, withoutPeer: r.withoutPeer, lost: r.lost, cpuMs: (cpu.user + cpu.system) / 1000, receiveBufferBytes: r.receiveBufferBytes });
}

const first = await read();
process.stdout.write(`${JSON.stringify({ ready: true, ...JSON.parse(first) })}\n`);
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === 'read') process.stdout.write(`${await read()}\n`);
}
await collector.close();
