import { readFile } from 'node:fs/promises';
import { unwatchFile, watchFile } from 'node:fs';
import type { TLSSocket } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import { parseWebConfig, WebConfigError, type TlsSettings, type TlsVersionName, type WebConfig } from '../config/webConfig.js';
import type { Log } from '../model/log.js';
import { BasicAuth } from './basicAuth.js';

/** Node's TLS options for a tls_server_config, with the files read. */
export interface HttpsOptions {
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
  minVersion: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
  maxVersion?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
  requestCert: boolean;
  rejectUnauthorized: boolean;
}

const NODE_VERSION: Record<TlsVersionName, HttpsOptions['minVersion']> = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' };

interface Loaded {
  config: WebConfig;
  https: HttpsOptions | undefined;
}

async function load(path: string): Promise<Loaded> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new WebConfigError(`${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const config = parseWebConfig(text, path);
  return { config, https: config.tls ? await readTls(config.tls) : undefined };
}

async function readTls(t: TlsSettings): Promise<HttpsOptions> {
  const read = async (file: string, what: string): Promise<Buffer> => {
    try {
      return await readFile(file);
    } catch (err) {
      throw new WebConfigError(`tls_server_config: cannot read ${what} ${file}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  const options: HttpsOptions = {
    cert: await read(t.certFile, 'cert_file'),
    key: await read(t.keyFile, 'key_file'),
    minVersion: NODE_VERSION[t.minVersion],
    requestCert: t.clientAuthType !== 'NoClientCert',
    // Node verifies and rejects at the handshake only for this type; the others are checked per request.
    rejectUnauthorized: t.clientAuthType === 'RequireAndVerifyClientCert',
  };
  if (t.clientCaFile !== undefined) options.ca = await read(t.clientCaFile, 'client_ca_file');
  if (t.maxVersion !== undefined) options.maxVersion = NODE_VERSION[t.maxVersion];
  return options;
}

/**
 * The --web.config.file in force: TLS, basic auth and extra headers. Loaded once at start (a bad
 * file is an error then), re-read when the file changes (a bad file then is logged and the last
 * good configuration stays). TLS cannot be switched on or off without a restart (the server is
 * created as HTTP or HTTPS); certificates and keys are swapped in place.
 */
export class WebSecurity {
  private current: Loaded;
  private readonly auth: BasicAuth;
  private reloads = { success: true, atMs: Date.now() };

  private constructor(
    private readonly path: string,
    loaded: Loaded,
  ) {
    this.current = loaded;
    this.auth = new BasicAuth(loaded.config.users);
  }

  static async load(path: string): Promise<WebSecurity> {
    return new WebSecurity(path, await load(path));
  }

  /** Options for Fastify's `https`, or undefined to serve plain HTTP. */
  get https(): HttpsOptions | undefined {
    return this.current.https;
  }

  get lastReload(): { success: boolean; atMs: number } {
    return this.reloads;
  }

  /** Authentication, client-certificate rules and headers, on every route. */
  install(app: FastifyInstance): void {
    app.addHook('onRequest', async (request, reply) => {
      const tls = this.current.config.tls;
      if (tls && (tls.clientAuthType === 'RequireAnyClientCert' || tls.clientAuthType === 'VerifyClientCertIfGiven')) {
        const socket = request.raw.socket as TLSSocket;
        const presented = typeof socket.getPeerCertificate === 'function' && Object.keys(socket.getPeerCertificate()).length > 0;
        if ((tls.clientAuthType === 'RequireAnyClientCert' && !presented) || (tls.clientAuthType === 'VerifyClientCertIfGiven' && presented && !socket.authorized)) {
          return reply.code(403).type('text/plain').send('client certificate required\n');
        }
      }
      if (this.auth.enabled && !(await this.auth.verify(request.headers.authorization))) {
        return reply.code(401).header('www-authenticate', 'Basic realm="tcpstate-exporter"').type('text/plain').send('Unauthorized\n');
      }
      return undefined;
    });
    app.addHook('onSend', async (_request, reply, payload) => {
      for (const [name, value] of Object.entries(this.current.config.headers)) reply.header(name, value);
      return payload;
    });
  }

  /** Re-reads the file when it changes (polled: editors and ConfigMaps replace files by rename). */
  watch(app: FastifyInstance, log: Log, intervalMs = 2000): void {
    watchFile(this.path, { interval: intervalMs }, () => void this.reload(app, log));
    app.addHook('onClose', async () => unwatchFile(this.path));
  }

  async reload(app: FastifyInstance, log: Log): Promise<boolean> {
    try {
      const next = await load(this.path);
      if ((next.https === undefined) !== (this.current.https === undefined)) {
        throw new WebConfigError(`${this.path}: switching TLS ${next.https ? 'on' : 'off'} needs a restart`);
      }
      if (next.config.tls?.clientAuthType !== this.current.config.tls?.clientAuthType) {
        throw new WebConfigError(`${this.path}: changing client_auth_type needs a restart`);
      }
      if (next.https) (app.server as unknown as { setSecureContext(o: HttpsOptions): void }).setSecureContext(next.https);
      this.current = next;
      this.auth.setUsers(next.config.users);
      this.reloads = { success: true, atMs: Date.now() };
      log.info({ file: this.path }, 'web config reloaded');
      return true;
    } catch (err) {
      this.reloads = { success: false, atMs: Date.now() };
      log.error({ file: this.path, err: err instanceof Error ? err.message : String(err) }, 'web config not reloaded; the last good one stays in force');
      return false;
    }
  }
}
