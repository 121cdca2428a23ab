import { connect, createServer, type Server, type Socket } from 'node:net';

export interface PopulationSpec {
  /** ESTABLISHED connections (two sockets each), spread over the listeners. */
  pairs: number;
  /** Connections closed by the client first: the client side sits in TIME_WAIT for 60 s. */
  timeWait: number;
  /** Connections the client half-closes: client FIN_WAIT2, server CLOSE_WAIT, held open. */
  halfClosed: number;
  listeners: number;
  host: string;
}

/**
 * Real sockets held by this process. Bounded by its file limit (two descriptors per held
 * connection); TIME_WAIT sockets need none.
 */
export class LivePopulation {
  private readonly servers: Server[] = [];
  private readonly sockets: Socket[] = [];

  static async create(spec: Partial<PopulationSpec>): Promise<LivePopulation> {
    const { pairs = 0, timeWait = 0, halfClosed = 0, listeners = 8, host = '127.0.0.1' } = spec;
    const pop = new LivePopulation();
    const ports: number[] = [];
    for (let i = 0; i < listeners; i++) ports.push(await pop.listen(host, false));
    const halfOpenPort = halfClosed > 0 ? await pop.listen(host, true) : 0;
    await pop.inBatches(pairs, (i) => pop.open(host, ports[i % ports.length]!).then((c) => void pop.sockets.push(c)));
    await pop.inBatches(timeWait, async (i) => {
      const c = await pop.open(host, ports[i % ports.length]!);
      // The client closes first and so holds the TIME_WAIT; its peer closes back at once.
      await new Promise<void>((r) => {
        c.once('close', () => r());
        c.end();
        c.resume();
      });
    });
    await pop.inBatches(halfClosed, async () => {
      const c = await pop.open(host, halfOpenPort);
      pop.sockets.push(c);
      await new Promise<void>((r) => c.end(r));
    });
    return pop;
  }

  private async listen(host: string, allowHalfOpen: boolean): Promise<number> {
    const server = createServer({ allowHalfOpen }, (s) => {
      this.sockets.push(s);
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => server.listen({ port: 0, host, backlog: 4096 }, r));
    this.servers.push(server);
    return (server.address() as { port: number }).port;
  }

  private open(host: string, port: number): Promise<Socket> {
    return new Promise<Socket>((resolve, reject) => {
      const c = connect({ host, port, allowHalfOpen: true }, () => resolve(c));
      c.once('error', reject);
      c.on('error', () => undefined);
    });
  }

  private async inBatches(count: number, fn: (i: number) => Promise<void>): Promise<void> {
    for (let i = 0; i < count; i += 200) await Promise.all(Array.from({ length: Math.min(200, count - i) }, (_, k) => fn(i + k)));
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}
