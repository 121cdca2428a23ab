import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createSecureServer, type Http2SecureServer, type Http2ServerRequest, type Http2ServerResponse, type ServerHttp2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { SecureContextOptions } from 'node:tls';
import type { ListenTarget } from '../config/listenAddress.js';

/** What every listening server shares: TLS or not, HTTP/2 or not, and the slow-client limits. */
export interface ServerSettings {
  /** Node's TLS options (from --web.config.file); undefined: plain HTTP. */
  https?: SecureContextOptions & { requestCert?: boolean; rejectUnauthorized?: boolean };
  /** HTTP/2 next to HTTP/1.1 (ALPN), with TLS only, as the exporter-toolkit's http2 key. */
  http2: boolean;
  /** Time a client has to send a whole request (HTTP/1.1). */
  requestTimeoutMs: number;
  /** An idle keep-alive connection (or HTTP/2 session) is closed after this. */
  keepAliveTimeoutMs: number;
}

type RequestHandler = (req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse) => void;
export type AnyServer = HttpServer | HttpsServer | Http2SecureServer;

/**
 * The exporter's listening servers: one per --web.listen-address, or per socket systemd passed
 * in, all serving the same Fastify app. Fastify makes its own server through `factory` (its
 * `serverFactory` option); the others are made here around the request handler it passed, so
 * every address gets the same routes, hooks, TLS and limits. Servers listened on through
 * `listen` are closed by `close` (stop accepting, let requests in flight finish).
 */
export class HttpServers {
  private handler: RequestHandler | undefined;
  private first: AnyServer | undefined;
  private readonly listening: AnyServer[] = [];
  private readonly sessions = new Set<ServerHttp2Session>();

  constructor(private readonly settings: ServerSettings) {}

  /** Fastify's `serverFactory`: makes the app's own server and keeps its handler for the others. */
  readonly factory = (handler: RequestHandler): AnyServer => {
    this.handler = handler;
    this.first = this.create();
    return this.first;
  };

  get tls(): boolean {
    return this.settings.https !== undefined;
  }

  private create(): AnyServer {
    const handler = this.handler;
    if (!handler) throw new Error('HttpServers.factory was not given to Fastify');
    const { https, http2 } = this.settings;
    if (https && http2) {
      const server = createSecureServer({ ...https, allowHTTP1: true }, handler);
      server.on('session', (session) => {
        this.sessions.add(session);
        session.setTimeout(this.settings.keepAliveTimeoutMs, () => session.close());
        session.once('close', () => this.sessions.delete(session));
      });
      return server;
    }
    const server = https ? createHttpsServer(https, handler) : createHttpServer(handler);
    server.requestTimeout = this.settings.requestTimeoutMs;
    server.keepAliveTimeout = this.settings.keepAliveTimeoutMs;
    return server;
  }

  /**
   * Listens on one more target (the app's own server first, a new one after) and resolves with
   * its URL. An address with an empty host is every interface: "::", or "0.0.0.0" where IPv6 is
   * disabled. Rejects with Node's error (EADDRINUSE, EADDRNOTAVAIL, EBADF...).
   */
  async listen(target: ListenTarget): Promise<string> {
    const server = this.listening.length === 0 && this.first ? this.first : this.create();
    if (target.kind === 'systemd') {
      await listenOn(server, { fd: target.fd });
    } else if (target.host === '') {
      await listenOn(server, { host: '::', port: target.port }).catch(async (err: unknown) => {
        if ((err as { code?: string }).code !== 'EAFNOSUPPORT') throw err;
        await listenOn(server, { host: '0.0.0.0', port: target.port });
      });
    } else {
      await listenOn(server, { host: target.host, port: target.port });
    }
    this.listening.push(server);
    return urlOf(server.address(), this.tls) ?? `fd:${target.kind === 'systemd' ? target.fd : '?'}`;
  }

  /** New certificates, ciphers or curves for new connections on every server (a web config reload). */
  setSecureContext(options: SecureContextOptions): void {
    for (const server of this.listening) if ('setSecureContext' in server) server.setSecureContext(options);
  }

  /** Stops accepting on every server listened on and resolves once their requests in flight are done. */
  async close(): Promise<void> {
    // Node >= 19 closes idle keep-alive connections in close(); HTTP/2 sessions are asked to
    // finish their streams and go away.
    for (const session of this.sessions) session.close();
    await Promise.all(this.listening.splice(0).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  }
}

function listenOn(server: AnyServer, options: { fd: number } | { host: string; port: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(options, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/**
 * `http://127.0.0.1:9816`, `https://[::]:9816`; a UNIX socket as its path, or undefined when
 * Node cannot tell it (a UNIX socket inherited from systemd has no name Node knows).
 */
function urlOf(address: AddressInfo | string | null, tls: boolean): string | undefined {
  if (address === null || address === '') return undefined;
  if (typeof address === 'string') return `unix:${address}`;
  const host = address.address.includes(':') ? `[${address.address}]` : address.address;
  return `${tls ? 'https' : 'http'}://${host}:${address.port}`;
}
