/**
 * A changing socket population for the soak benchmark: holds `open` connections to a few
 * listeners of its own and, every tick, closes `perTick` of them (the client first, so they go
 * to TIME_WAIT) and opens as many new ones. Prints {"ready":true} once the first `open` are up.
 *   node dist/bench/churn.js <open> <perTick> <tickMs>
 */
import { connect, createServer, type Socket } from 'node:net';

const [open = 2000, perTick = 50, tickMs = 100] = process.argv.slice(2).map(Number);
const ports: number[] = [];
for (let i = 0; i < 4; i++) {
  const server = createServer((s) => {
    s.on('error', () => undefined);
    s.on('end', () => s.end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  ports.push((server.address() as { port: number }).port);
}
const live: Socket[] = [];
const dial = (): Promise<void> =>
  new Promise((resolve) => {
    const c = connect({ host: '127.0.0.1', port: ports[live.length % ports.length]! }, () => resolve());
    c.on('error', () => resolve());
    live.push(c);
  });
for (let i = 0; i < open; i++) await dial();
process.stdout.write('{"ready":true}\n');
setInterval(() => {
  for (let i = 0; i < perTick && live.length > 0; i++) live.splice(Math.floor(Math.random() * live.length), 1)[0]!.end();
  for (let i = 0; i < perTick; i++) void dial();
}, tickMs);
