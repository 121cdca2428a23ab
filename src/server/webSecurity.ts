import { readFile } from 'node:fs/promises';
import { unwatchFile, watchFile } from 'node:fs';
import { TLSSocket } from 'node:tls';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parseWebConfig, WebConfigError, type WebConfig } from '../config/webConfig.js';
import { errorMessage } from '../model/errno.js';
import type { Log } from '../model/log.js';
import { BasicAuth } from './basicAuth.js';
import { TokenBucket } from './rateLimit.js';
import { nodeTlsOptions, type HttpsOptions, type NodeTls } from './tlsOptions.js';

export type { HttpsOptions } from './tlsOptions.js';

interface Loaded {
  config: WebConfig;
  tls: NodeTls | undefined;
}

async function load(path: string): Promise<Loaded> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new WebConfigError(`${path}: ${errorMessage(err)}`);
  }
  const config = parseWebConfig(text, path);
  return { config, tls: config.tls ? await nodeTlsOptions(config.tls) : undefined };
}

/** Where new TLS settings go on a reload: every listening server (HttpServers). */
export interface SecureContextTarget {
  setSecureContext(options: HttpsOptions): void;
}

/**
 * The values of a client certificate's subjectAltName ("DNS:a, IP Address:10.0.0.1, email:x,
 * URI:spiffe://y" in Node's rendering), without their type prefixes.
 */
function subjectAltNames(socket: TLSSocket): string[] {
  const san = socket.getPeerCertificate().subjectaltname ?? '';
  return san
    .split(', ')
    .map((entry) => entry.slice(entry.indexOf(':') + 1))
    .filter((v) => v !== '');
}

/**
 * The --web.config.file in force: TLS, basic auth, extra headers and the rate limit. Loaded once
 * at start (a bad file is an error then), re-read when the file changes (a bad file then is
 * logged and the last good configuration stays). TLS cannot be switched on or off, nor HTTP/2,
 * without a restart (the servers are created as such); certificates, ciphers and curves are
 * swapped in place for new connections.
 */
export class WebSecurity {
  private current: Loaded;
  private readonly auth: BasicAuth;
  private bucket: TokenBucket | undefined;

  private constructor(
    private readonly path: string,
    loaded: Loaded,
  ) {
    this.current = loaded;
    this.auth = new BasicAuth(loaded.config.users);
    this.bucket = loaded.config.rateLimit ? new TokenBucket(loaded.config.rateLimit) : undefined;
  }

  static async load(path: string): Promise<WebSecurity> {
    return new WebSecurity(path, await load(path));
  }

  /** Options for the servers' TLS, or undefined to serve plain HTTP. */
  get https(): HttpsOptions | undefined {
    return this.current.tls?.options;
  }

  /** Whether HTTP/2 is served next to HTTP/1.1: the http2 key, with TLS only (as in the toolkit). */
  get http2(): boolean {
    return this.current.tls !== undefined && this.current.config.http2 !== false;
  }

  /** One log line's worth of what the file put in force (Node's names for the TLS settings). */
  summary(): Record<string, unknown> {
    const { config, tls } = this.current;
    return {
      file: this.path,
      tls: tls !== undefined,
      ...(tls && config.tls
        ? {
            http2: this.http2,
            min_version: tls.options.minVersion,
            max_version: tls.options.maxVersion,
            ciphers: tls.options.ciphers ?? 'default',
            curves: tls.options.ecdhCurve ?? 'default',
            honor_cipher_order: tls.options.honorCipherOrder,
            client_auth_type: config.tls.clientAuthType,
            ...(config.tls.clientAllowedSans ? { client_allowed_sans: config.tls.clientAllowedSans.join(',') } : {}),
          }
        : {}),
      basic_auth_users: Object.keys(config.users).length,
      headers: Object.keys(config.headers).join(',') || 'none',
      rate_limit: config.rateLimit ? `${config.rateLimit.burst} per ${config.rateLimit.intervalMs} ms` : 'none',
    };
  }

  /** Keys accepted without an equivalent here, or served differently than by Go: one line each for the log. */
  notes(): string[] {
    const { config, tls } = this.current;
    const notes = [...(tls?.notes ?? [])];
    if (!tls && config.http2 === true) notes.push('http_server_config.http2 applies with TLS only: plain HTTP/1.1 is served, as by the exporter-toolkit');
    return notes;
  }

  /** Rate limit, client-certificate rules, authentication and headers, on every route. */
  install(app: FastifyInstance): void {
    app.addHook('onRequest', async (request, reply) => this.check(request, reply));
    app.addHook('onSend', async (_request, reply, payload) => {
      for (const [name, value] of Object.entries(this.current.config.headers)) reply.header(name, value);
      return payload;
    });
  }

  private async check(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    // In the toolkit's order: the rate limit first, before any bcrypt work.
    if (this.bucket && !this.bucket.take()) return reply.code(429).type('text/plain').send('Too Many Requests\n');
    const tls = this.current.config.tls;
    if (tls && (tls.clientAuthType === 'RequireAnyClientCert' || tls.clientAuthType === 'VerifyClientCertIfGiven' || (tls.clientAllowedSans && tls.clientAuthType !== 'NoClientCert'))) {
      // Narrowed at run time: the servers are TLS ones whenever `tls` is set (an HTTP/2 request's
      // socket is Node's proxy of the session's TLSSocket, which answers instanceof as one).
      const socket = request.raw.socket;
      const peer = socket instanceof TLSSocket ? socket : undefined;
      const presented = peer !== undefined && Object.keys(peer.getPeerCertificate()).length > 0;
      if ((tls.clientAuthType === 'RequireAnyClientCert' && !presented) || (tls.clientAuthType === 'VerifyClientCertIfGiven' && presented && !peer.authorized)) {
        return reply.code(403).type('text/plain').send('client certificate required\n');
      }
      // As the toolkit's VerifyPeerCertificate: the certificate must name an allowed client.
      if (tls.clientAllowedSans && !(presented && subjectAltNames(peer).some((v) => tls.clientAllowedSans!.includes(v)))) {
        return reply.code(403).type('text/plain').send('client certificate not allowed: no subjectAltName in client_allowed_sans\n');
      }
    }
    if (this.auth.enabled && !(await this.auth.verify(request.headers.authorization))) {
      return reply.code(401).header('www-authenticate', 'Basic realm="tcpstate-exporter"').type('text/plain').send('Unauthorized\n');
    }
    return undefined;
  }

  /** Re-reads the file when it changes (polled: editors and ConfigMaps replace files by rename). */
  watch(app: FastifyInstance, log: Log, servers: SecureContextTarget, intervalMs = 2000): void {
    watchFile(this.path, { interval: intervalMs }, () => void this.reload(servers, log));
    app.addHook('onClose', async () => unwatchFile(this.path));
  }

  async reload(servers: SecureContextTarget, log: Log): Promise<boolean> {
    try {
      const next = await load(this.path);
      if ((next.tls === undefined) !== (this.current.tls === undefined)) {
        throw new WebConfigError(`${this.path}: switching TLS ${next.tls ? 'on' : 'off'} needs a restart`);
      }
      if (next.config.tls?.clientAuthType !== this.current.config.tls?.clientAuthType) {
        throw new WebConfigError(`${this.path}: changing client_auth_type needs a restart`);
      }
      if (next.tls && (next.config.http2 !== false) !== (this.current.config.http2 !== false)) throw new WebConfigError(`${this.path}: changing http2 needs a restart`);
      if (next.tls) servers.setSecureContext(next.tls.options);
      const limit = next.config.rateLimit;
      if (JSON.stringify(limit) !== JSON.stringify(this.current.config.rateLimit)) this.bucket = limit ? new TokenBucket(limit) : undefined;
      this.current = next;
      this.auth.setUsers(next.config.users);
      log.info(this.summary(), 'web config reloaded');
      for (const note of this.notes()) log.info({ file: this.path }, note);
      return true;
    } catch (err) {
      log.error({ file: this.path, err: errorMessage(err) }, 'web config not reloaded; the last good one stays in force');
      return false;
    }
  }
}
