import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as connectHttp2 } from 'node:http2';
import { join } from 'node:path';
import { connect, type ConnectionOptions } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startExporter, type RunningExporter } from '../../helpers/exporterProcess.js';
import { haveTool } from '../../helpers/tools.js';
import { makeTlsFiles, type TlsFiles } from '../../helpers/tlsFiles.js';

/** What a real TLS handshake with the exporter negotiated, or why it failed. */
interface Handshake {
  ok: boolean;
  cipher?: string;
  version?: string;
  /** The key exchange group, in OpenSSL's name (prime256v1, secp384r1, X25519). */
  group?: string;
  alpn?: string | false;
  error?: string;
}

function handshake(url: string, opts: ConnectionOptions): Promise<Handshake> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port), servername: undefined, ...opts }, () => {
      const key = socket.getEphemeralKeyInfo();
      resolve({ ok: true, cipher: socket.getCipher().name, version: socket.getProtocol() ?? '', group: key && 'name' in key ? key.name : undefined, alpn: socket.alpnProtocol ?? false });
      socket.end();
    });
    socket.on('error', (err) => resolve({ ok: false, error: (err as NodeJS.ErrnoException).code ?? err.message }));
  });
}

/** A GET over HTTP/2 (ALPN h2): status, one header and the body. */
function getHttp2(url: string, ca: string, path: string, client?: { cert: string; key: string }): Promise<{ status: number; nosniff: unknown; body: string }> {
  return new Promise((resolve, reject) => {
    const session = connectHttp2(url, { ca: readFileSync(ca), ...(client ? { cert: readFileSync(client.cert), key: readFileSync(client.key) } : {}) });
    session.on('error', reject);
    const req = session.request({ ':path': path });
    let body = '';
    let status = 0;
    let nosniff: unknown;
    req.on('response', (h) => {
      status = Number(h[':status']);
      nosniff = h['x-content-type-options'];
    });
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      session.close();
      resolve({ status, nosniff, body });
    });
    req.on('error', reject);
    req.end();
  });
}

const CONFIG_HEAD = 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n';
/** Both AES-128-GCM and ChaCha20 over ECDSA, AES first; a TLS 1.3 name too (Go ignores those). */
const CIPHERS = '  cipher_suites:\n    - TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256\n    - TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256\n    - TLS_AES_128_GCM_SHA256\n';

describe.runIf(haveTool('openssl'))('tls_server_config over real TLS connections', () => {
  let tls: TlsFiles;
  const started: RunningExporter[] = [];
  const start = async (name: string, config: string, args: string[] = []): Promise<RunningExporter> => {
    const file = join(tls.dir, `${name}.yml`);
    writeFileSync(file, config);
    const e = await startExporter([`--web.config.file=${file}`, ...args]);
    started.push(e);
    return e;
  };
  beforeAll(() => {
    tls = makeTlsFiles();
  });
  afterAll(async () => {
    for (const e of started) await e.stop();
    rmSync(tls.dir, { recursive: true, force: true });
  });
  const ca = () => readFileSync(tls.ca);

  describe('cipher_suites, prefer_server_cipher_suites, curve_preferences, http2', () => {
    let server: RunningExporter;
    let client: RunningExporter;
    beforeAll(async () => {
      server = await start('ciphers', `${CONFIG_HEAD}${CIPHERS}  curve_preferences: [CurveP384, CurveP256]\n`);
      client = await start('client-order', `${CONFIG_HEAD}${CIPHERS}  prefer_server_cipher_suites: false\nhttp_server_config:\n  http2: false\n`);
    }, 30_000);

    it('serves the listed TLS 1.2 suites only, under their OpenSSL names', async () => {
      const tls12 = { ca: ca(), maxVersion: 'TLSv1.2' } as const;
      expect(await handshake(server.url, { ...tls12, ciphers: 'ECDHE-ECDSA-AES256-GCM-SHA384' })).toMatchObject({ ok: false });
      expect(await handshake(server.url, { ...tls12, ciphers: 'ECDHE-ECDSA-AES128-SHA' })).toMatchObject({ ok: false });
      expect(await handshake(server.url, { ...tls12, ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' })).toMatchObject({ ok: true, cipher: 'ECDHE-ECDSA-AES128-GCM-SHA256', version: 'TLSv1.2' });
      expect(await handshake(server.url, { ...tls12, ciphers: 'ECDHE-ECDSA-CHACHA20-POLY1305' })).toMatchObject({ ok: true, cipher: 'ECDHE-ECDSA-CHACHA20-POLY1305' });
      // The same AES-256 suite is fine where no list is configured: the refusal above is the list's.
      const open = await start('no-list', CONFIG_HEAD);
      expect(await handshake(open.url, { ...tls12, ciphers: 'ECDHE-ECDSA-AES256-GCM-SHA384' })).toMatchObject({ ok: true, cipher: 'ECDHE-ECDSA-AES256-GCM-SHA384' });
    }, 20_000);

    it('picks by the server\'s order with prefer_server_cipher_suites (the default), by the client\'s without', async () => {
      const offer = { ca: ca(), maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256' } as const;
      expect((await handshake(server.url, offer)).cipher).toBe('ECDHE-ECDSA-AES128-GCM-SHA256');
      expect((await handshake(client.url, offer)).cipher).toBe('ECDHE-ECDSA-CHACHA20-POLY1305');
    });

    it('leaves TLS 1.3 suites alone, as Go does, and says so once in the log', async () => {
      // Node's client takes TLS 1.3 suites in `ciphers` too.
      const r = await handshake(server.url, { ca: ca(), minVersion: 'TLSv1.3', ciphers: 'TLS_CHACHA20_POLY1305_SHA256' });
      expect(r).toMatchObject({ ok: true, version: 'TLSv1.3', cipher: 'TLS_CHACHA20_POLY1305_SHA256' });
      const notes = server.stderr().split('\n').filter((l) => l.includes('TLS 1.3 suites are not configurable'));
      expect(notes).toHaveLength(1);
      expect(notes[0]).toContain('cipher_suites: TLS_AES_128_GCM_SHA256 ignored');
    });

    it('offers only the listed curves, in TLS 1.2 and 1.3', async () => {
      for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
        const pinned = { ca: ca(), minVersion: version, maxVersion: version } as const;
        expect(await handshake(server.url, { ...pinned, ecdhCurve: 'X25519' }), version).toMatchObject({ ok: false });
        expect(await handshake(server.url, { ...pinned, ecdhCurve: 'X25519:P-384:P-256' }), version).toMatchObject({ ok: true, group: 'secp384r1' });
        // Without curve_preferences the same offer gets X25519: the choice above is the config's.
        expect(await handshake(client.url, { ...pinned, ecdhCurve: 'X25519:P-384:P-256' }), version).toMatchObject({ ok: true, group: 'X25519' });
      }
    });

    it('logs what it put in force under Node\'s names', () => {
      const line = server.stderr().split('\n').find((l) => l.includes('"msg":"web config loaded"'));
      expect(JSON.parse(line!)).toMatchObject({ tls: true, http2: true, ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305', curves: 'P-384:P-256', honor_cipher_order: true, min_version: 'TLSv1.2', max_version: 'TLSv1.3' });
    });

    it('serves HTTP/2 over TLS by default (ALPN h2) next to HTTP/1.1, and not with http2: false', async () => {
      expect((await handshake(server.url, { ca: ca(), ALPNProtocols: ['h2', 'http/1.1'] })).alpn).toBe('h2');
      expect((await handshake(server.url, { ca: ca(), ALPNProtocols: ['http/1.1'] })).alpn).toBe('http/1.1');
      const h2 = await getHttp2(server.url, tls.ca, '/metrics');
      expect(h2.status).toBe(200);
      expect(h2.body).toMatch(/^tcpstate_build_info\{/m);
      expect((await handshake(client.url, { ca: ca(), ALPNProtocols: ['h2', 'http/1.1'] })).alpn).not.toBe('h2');
    });
  });

  it('an idle HTTP/2 session does not hold a graceful shutdown', async () => {
    const file = join(tls.dir, 'h2-shutdown.yml');
    writeFileSync(file, CONFIG_HEAD);
    const e = await startExporter([`--web.config.file=${file}`]);
    const session = connectHttp2(e.url, { ca: ca() });
    try {
      await new Promise<void>((resolve, reject) => {
        const req = session.request({ ':path': '/healthz' });
        req.on('data', () => undefined);
        req.on('end', () => resolve());
        req.on('error', reject);
        req.end();
      });
      // The session stays open and idle; SIGTERM must still end the process, with 0.
      expect(await e.stop()).toBe(0);
    } finally {
      session.destroy();
    }
  }, 20_000);

  it('client_allowed_sans: a trusted certificate must also name an allowed client; the rules hold over HTTP/2 too', async () => {
    const e = await start('sans', `${CONFIG_HEAD}  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n  client_allowed_sans: [prometheus.example]\n`);
    const status = async (cert: string, key: string): Promise<number> => {
      const { request } = await import('node:https');
      return new Promise((resolve, reject) => {
        const req = request(`${e.url}/metrics`, { ca: ca(), cert: readFileSync(cert), key: readFileSync(key) }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    };
    expect(await status(tls.clientCert, tls.clientKey)).toBe(200);
    expect(await status(tls.otherClientCert, tls.otherClientKey)).toBe(403);
    expect((await getHttp2(e.url, tls.ca, '/metrics', { cert: tls.clientCert, key: tls.clientKey })).status).toBe(200);
    expect((await getHttp2(e.url, tls.ca, '/metrics', { cert: tls.otherClientCert, key: tls.otherClientKey })).status).toBe(403);
  }, 20_000);

  it('rate_limit: a burst of requests, then 429 until the bucket refills', async () => {
    const e = await start('rate', `${CONFIG_HEAD}http_server_config:\n  headers:\n    X-Content-Type-Options: nosniff\nrate_limit:\n  interval: 1h\n  burst: 2\n`);
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await getHttp2(e.url, tls.ca, '/healthz'));
    expect(results.map((r) => r.status)).toEqual([200, 200, 429]);
    expect(results[0]!.nosniff).toBe('nosniff');
  }, 20_000);

  it('a reload swaps the cipher list on every listening address', async () => {
    const aes128 = `${CONFIG_HEAD}  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]\n  max_version: TLS12\nhttp_server_config:\n  http2: false\n`;
    const e = await start('reload', aes128, ['--web.listen-address=127.0.0.2:0']);
    const urls = await eventually(async () => {
      const u = e.stderr().split('\n').filter((l) => l.includes('tcpstate-exporter listening')).map((l) => (JSON.parse(l) as { url: string }).url);
      return u.length === 2 ? u : undefined;
    });
    const offer = (ciphers: string) => ({ ca: ca(), ciphers, checkServerIdentity: () => undefined });
    for (const url of urls) expect((await handshake(url, offer('ECDHE-ECDSA-AES256-GCM-SHA384'))).ok, url).toBe(false);
    writeFileSync(join(tls.dir, 'reload.yml'), aes128.replace('AES_128_GCM_SHA256', 'AES_256_GCM_SHA384'));
    await eventually(async () => (/web config reloaded/.test(e.stderr()) ? true : undefined), 15_000, 'reload');
    for (const url of urls) {
      expect((await handshake(url, offer('ECDHE-ECDSA-AES256-GCM-SHA384'))).cipher, url).toBe('ECDHE-ECDSA-AES256-GCM-SHA384');
      expect((await handshake(url, offer('ECDHE-ECDSA-AES128-GCM-SHA256'))).ok, url).toBe(false);
    }
  }, 40_000);

  it('openssl s_client agrees: a suite outside the list is refused, one inside is negotiated', () => {
    const e = started[0]!;
    const { port } = new URL(e.url);
    const sClient = (cipher: string) =>
      spawnSync('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-tls1_2', '-cipher', cipher, '-CAfile', tls.ca], { input: '', encoding: 'utf8', timeout: 10_000 });
    expect(sClient('ECDHE-ECDSA-AES256-GCM-SHA384').status).not.toBe(0);
    const ok = sClient('ECDHE-ECDSA-CHACHA20-POLY1305');
    expect(ok.stdout).toMatch(/Cipher is ECDHE-ECDSA-CHACHA20-POLY1305/);
    expect(ok.stdout + ok.stderr).toMatch(/Temp Key: ECDH, (P-384|secp384r1)/);
  });
});
