import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * Real loopback sockets held by this process: `pairs` ESTABLISHED connections (two sockets each,
 * spread over several listening ports) and `timeWait` TIME_WAIT sockets from active closes.
 * Bounded by this process's file limit (two descriptors per pair); TIME_WAIT needs none.
 */
export class LivePopulation {
  private readonly servers: Server[] = [];
  private readonly sockets: Socket[] = [];

  static async create(pairs: number, timeWait: number, listeners = 8): Promise<LivePopulation> {
    const pop = new LivePopulation();
    const ports: number[] = [];
    for (let i = 0; i < listeners; i++) {
      const server = createServer((s) => {
        pop.sockets.push(s);
        s.on('error', () => undefined);
      });
      await new Promise<void>((r) => server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, r));
      pop.servers.push(server);
      ports.push((server.address() as { port: number }).port);
    }
    const open = async (port: number): Promise<Socket> =>
      new Promise<Socket>((resolve, reject) => {
        const c = connect({ host: '127.0.0.1', port }, () => resolve(c));
        c.once('error', reject);
      });
    for (let i = 0; i < pairs; i += 200) {
      const batch = await Promise.all(Array.from({ length: Math.min(200, pairs - i) }, (_, k) => open(ports[(i + k) % ports.length]!)));
      for (const c of batch) c.on('error', () => undefined);
      pop.sockets.push(...batch);
    }
    for (let i = 0; i < timeWait; i += 200) {
      const batch = await Promise.all(Array.from({ length: Math.min(200, timeWait - i) }, (_, k) => open(ports[(i + k) % ports.length]!)));
      // The client closes first and so holds the TIME_WAIT; its peer closes back at once.
      await Promise.all(batch.map((c) => new Promise<void>((r) => { c.once('close', () => r()); c.end(); c.resume(); })));
    }
    return pop;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}
