import { spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer, type Server, type Socket } from 'node:net';

/** Holds real loopback sockets in known states until close(). */
export class LoopbackSockets {
  private readonly servers: Server[] = [];
  private readonly sockets: Socket[] = [];
  private readonly children: ChildProcess[] = [];

  async listen(host: string, opts: { allowHalfOpen: boolean; keepAliveFirst?: number } = { allowHalfOpen: false }): Promise<number> {
    let accepted = 0;
    const server = createServer({ allowHalfOpen: opts.allowHalfOpen }, (s) => {
      this.sockets.push(s);
      if (opts.keepAliveFirst !== undefined && accepted++ < opts.keepAliveFirst) s.setKeepAlive(true, 60_000);
      s.on('error', () => undefined);
    });
    this.servers.push(server);
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, host, resolve));
    return (server.address() as { port: number }).port;
  }

  /** A listener in a child process that never calls accept(): connections pile up in its queue. */
  async listenWithoutAccepting(backlog: number): Promise<number> {
    const child = spawn('python3', ['-c', `import socket,sys,time
s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(${backlog})
print(s.getsockname()[1], flush=True); time.sleep(600)`], { stdio: ['ignore', 'pipe', 'inherit'] });
    this.children.push(child);
    return new Promise<number>((resolve, reject) => {
      child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
      child.once('error', reject);
    });
  }

  /** A connection to host:port, from a given local port if asked (else an ephemeral one). */
  async connect(host: string, port: number, localPort?: number): Promise<Socket> {
    const s = await new Promise<Socket>((resolve, reject) => {
      const c = connect({ host, port, allowHalfOpen: true, ...(localPort ? { localAddress: host, localPort } : {}) }, () => resolve(c));
      c.once('error', reject);
    });
    s.on('error', () => undefined);
    this.sockets.push(s);
    return s;
  }

  /** Half-close: this side goes to FIN_WAIT2, a half-open peer stays in CLOSE_WAIT. */
  async halfClose(s: Socket): Promise<void> {
    await new Promise<void>((r) => s.end(r));
  }

  /** Full close by this side first against a peer that closes back: this side ends in TIME_WAIT. */
  async activeClose(s: Socket): Promise<void> {
    await new Promise<void>((r) => {
      s.once('close', () => r());
      s.end();
      s.resume();
    });
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    for (const c of this.children) c.kill('SIGKILL');
    await Promise.all(this.servers.map((srv) => new Promise<void>((r) => srv.close(() => r()))));
  }
}
