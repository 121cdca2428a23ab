/**
 * The churning population of bench/seriesChurn.ts, in the shape that made a real Prometheus store
 * five times more port series than were live (issue 14), all on loopback addresses inside the
 * benchmark's network namespace, until killed:
 * - 8 steady services (8000-8007) with 3 connections each;
 * - 30 connection pools (9000-9029) whose sizes are drawn again every 5 s: more client ports than
 *   the top 20, taking turns;
 * - a listener on a kernel-chosen port every second, with 3 connections, gone after 4 s;
 * - 12 destinations (127.0.1.1-12 port 9100) whose sizes are drawn again every 5 s, and a new
 *   destination every second (127.0.2.x) with 2 connections for 3 s: destinations that take
 *   turns in the top 5, and ones that come and go.
 * Pool sizes, mode "skewed" (the default): each pool has a size of its own (a few large, many
 * small: 40 / rank, at least 2) and is drawn within ±40% of it, as pools follow load; mode
 * "uniform": every draw is uniform in 1-12 (1-10 for the destinations), so pools of every rank
 * trade places all the time, the worst case for a top K.
 * Prints {"ready":true} once the steady part is up.
 *   node dist/bench/churnWorkload.js [skewed|uniform]
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

const held: Socket[] = [];

function listen(port: number, host = '127.0.0.1'): Promise<Server> {
  const server = createServer((s) => {
    s.on('error', () => undefined);
    s.on('end', () => s.end());
    held.push(s);
  });
  return new Promise((resolve, reject) => server.once('error', reject).listen(port, host, () => resolve(server)));
}

function dial(port: number, host = '127.0.0.1'): Promise<Socket> {
  return new Promise((resolve) => {
    const c = connect({ port, host }, () => resolve(c));
    c.on('error', () => resolve(c));
  });
}

const MODE = process.argv[2] ?? 'skewed';
if (MODE !== 'skewed' && MODE !== 'uniform') throw new Error(`mode ${MODE}: skewed or uniform`);

/** A pool size: around the pool's own size (skewed), or anything up to `max` (uniform). */
function draw(rank: number, max: number): number {
  if (MODE === 'uniform') return 1 + Math.floor(Math.random() * max);
  const size = Math.max(2, Math.round(40 / rank));
  return Math.max(1, Math.round(size * (0.6 + 0.8 * Math.random())));
}

/** Keeps connections to host:port open, drawing a new number every `everyMs`. */
function pool(port: number, host: string, rank: number, max: number, everyMs: number): void {
  const open: Socket[] = [];
  let target = draw(rank, max);
  setInterval(() => {
    target = draw(rank, max);
  }, everyMs);
  setInterval(() => {
    while (open.length > target) open.pop()!.end();
    if (open.length < target) void dial(port, host).then((c) => open.push(c));
  }, 50);
}

/** Connections that live `lifeMs`, then close (the client first: TIME_WAIT on its side). */
async function transient(port: number, host: string, n: number, lifeMs: number): Promise<void> {
  const conns = await Promise.all(Array.from({ length: n }, () => dial(port, host)));
  setTimeout(() => conns.forEach((c) => c.end()), lifeMs);
}

for (let p = 8000; p < 8008; p++) {
  await listen(p);
  for (let i = 0; i < 3; i++) await dial(p);
}
// Ranks interleave the two kinds of pools, so the busiest destinations are of both.
for (let p = 9000; p < 9030; p++) {
  await listen(p);
  pool(p, '127.0.0.1', 1 + (p - 9000) * 1.4, 12, 5000);
}
await listen(9100, '0.0.0.0');
for (let d = 1; d <= 12; d++) pool(9100, `127.0.1.${d}`, 1.7 + (d - 1) * 3.5, 10, 5000);

let tick = 0;
setInterval(() => {
  tick++;
  void listen(0).then(async (server) => {
    const { port } = server.address() as { port: number };
    await transient(port, '127.0.0.1', 3, 3500);
    setTimeout(() => server.close(), 4000);
  });
  void transient(9100, `127.0.2.${(tick % 250) + 1}`, 2, 3000);
}, 1000);
process.stdout.write('{"ready":true}\n');
