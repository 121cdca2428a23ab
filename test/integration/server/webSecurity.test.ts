import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BasicAuth } from '../../../src/server/basicAuth.js';
import { eventually, startExporter, type RunningExporter } from '../../helpers/exporterProcess.js';
import { CLI } from '../../helpers/paths.js';
import { haveTool } from '../../helpers/tools.js';
import { makeTlsFiles, type TlsFiles } from '../../helpers/tlsFiles.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(url: string, opts: { ca?: string; cert?: string; key?: string; user?: string; password?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        ca: opts.ca ? readFileSync(opts.ca) : undefined,
        cert: opts.cert ? readFileSync(opts.cert) : undefined,
        key: opts.key ? readFileSync(opts.key) : undefined,
        headers: opts.user !== undefined ? { authorization: `Basic ${Buffer.from(`${opts.user}:${opts.password}`).toString('base64')}` } : {},
      },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('BasicAuth', () => {
  const users = { prometheus: bcrypt.hashSync('secret', 4) };

  it('accepts the right password only, and pays a bcrypt round for an unknown user too', async () => {
    const auth = new BasicAuth(users);
    const spy = vi.spyOn(bcrypt, 'compare');
    const header = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
    expect(await auth.verify(header('prometheus', 'secret'))).toBe(true);
    expect(await auth.verify(header('prometheus', 'wrong'))).toBe(false);
    expect(await auth.verify(header('nobody', 'secret'))).toBe(false);
    expect(await auth.verify(undefined)).toBe(false);
    expect(await auth.verify('Bearer x')).toBe(false);
    // Right password, wrong password, unknown user: three bcrypt comparisons of the same cost.
    expect(spy).toHaveBeenCalledTimes(3);
    // A verified credential is remembered; a changed hash is not.
    expect(await auth.verify(header('prometheus', 'secret'))).toBe(true);
    expect(spy).toHaveBeenCalledTimes(3);
    auth.setUsers({ prometheus: bcrypt.hashSync('other', 4) });
    expect(await auth.verify(header('prometheus', 'secret'))).toBe(false);
    spy.mockRestore();
  });
});

describe.runIf(haveTool('openssl'))('--web.config.file on a real exporter', () => {
  let tls: TlsFiles;
  let configFile: string;
  let exporter: RunningExporter;
  const config = (users: Record<string, string>, extra = ''): string =>
    `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n${extra}http_server_config:\n  headers:\n    X-Content-Type-Options: nosniff\nbasic_auth_users:\n${Object.entries(users)
      .map(([u, h]) => `  ${u}: "${h}"\n`)
      .join('')}`;

  beforeAll(async () => {
    tls = makeTlsFiles();
    configFile = join(tls.dir, 'web.yml');
    writeFileSync(configFile, config({ prometheus: bcrypt.hashSync('secret', 4) }));
    exporter = await startExporter([`--web.config.file=${configFile}`, '--collector.interval=1s']);
  }, 30_000);

  afterAll(async () => {
    await exporter?.stop();
    rmSync(tls.dir, { recursive: true, force: true });
  });

  it('serves HTTPS, and every route asks for credentials', async () => {
    expect(exporter.url).toMatch(/^https:/);
    for (const path of ['/metrics', '/', '/healthz', '/readyz', '/nope']) {
      const r = await get(`${exporter.url}${path}`, { ca: tls.ca });
      expect(r.status, path).toBe(401);
      expect(r.headers['www-authenticate']).toBe('Basic realm="tcpstate-exporter"');
    }
    expect((await get(`${exporter.url}/metrics`, { ca: tls.ca, user: 'prometheus', password: 'wrong' })).status).toBe(401);
    expect((await get(`${exporter.url}/metrics`, { ca: tls.ca, user: 'intruder', password: 'secret' })).status).toBe(401);
  });

  it('serves metrics with the right credentials, with the configured headers', async () => {
    const r = await get(`${exporter.url}/metrics`, { ca: tls.ca, user: 'prometheus', password: 'secret' });
    expect(r.status).toBe(200);
    expect(r.body).toContain('tcpstate_build_info');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
  });

  it('refuses plain HTTP on the HTTPS port', async () => {
    await expect(fetch(exporter.url.replace('https:', 'http:'))).rejects.toThrow();
  });

  it('re-reads the file when it changes, and keeps the last good one when the new one is bad', async () => {
    writeFileSync(configFile, config({ grafana: bcrypt.hashSync('other', 4) }));
    await eventually(async () => ((await get(`${exporter.url}/metrics`, { ca: tls.ca, user: 'grafana', password: 'other' })).status === 200 ? true : undefined), 15_000, 'new user accepted');
    expect((await get(`${exporter.url}/metrics`, { ca: tls.ca, user: 'prometheus', password: 'secret' })).status).toBe(401);
    writeFileSync(configFile, 'basic_auth_users:\n  grafana: plaintext\n');
    await eventually(async () => (/web config not reloaded/.test(exporter.stderr()) ? true : undefined), 15_000, 'bad file reported');
    expect((await get(`${exporter.url}/metrics`, { ca: tls.ca, user: 'grafana', password: 'other' })).status).toBe(200);
  }, 40_000);
});

describe.runIf(haveTool('openssl'))('client certificates', () => {
  let tls: TlsFiles;
  let exporter: RunningExporter;
  beforeAll(async () => {
    tls = makeTlsFiles();
    const file = join(tls.dir, 'web.yml');
    writeFileSync(file, 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n  min_version: TLS13\n');
    exporter = await startExporter([`--web.config.file=${file}`]);
  }, 30_000);
  afterAll(async () => {
    await exporter?.stop();
    rmSync(tls.dir, { recursive: true, force: true });
  });

  it('admits a client certificate from the configured CA only', async () => {
    expect((await get(`${exporter.url}/metrics`, { ca: tls.ca, cert: tls.clientCert, key: tls.clientKey })).status).toBe(200);
    await expect(get(`${exporter.url}/metrics`, { ca: tls.ca })).rejects.toThrow();
    await expect(get(`${exporter.url}/metrics`, { ca: tls.ca, cert: tls.strangerCert, key: tls.strangerKey })).rejects.toThrow();
  });
});

describe('a bad --web.config.file at start', () => {
  it('is a clear error and no server starts', () => {
    const r = spawnSync(process.execPath, [CLI, '--web.config.file=/nonexistent/web.yml', '--web.listen-address=127.0.0.1:0'], { encoding: 'utf8', timeout: 10_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--web\.config\.file: \/nonexistent\/web\.yml: ENOENT/);
  });
});

describe.runIf(haveTool('openssl'))('the other client_auth_type values', () => {
  let tls: TlsFiles;
  const started: RunningExporter[] = [];
  beforeAll(() => {
    tls = makeTlsFiles();
  });
  afterAll(async () => {
    for (const e of started) await e.stop();
    rmSync(tls.dir, { recursive: true, force: true });
  });
  const start = async (type: string, ca: boolean): Promise<string> => {
    const file = join(tls.dir, `${type}.yml`);
    writeFileSync(file, `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: ${type}\n${ca ? '  client_ca_file: ca.crt\n' : ''}`);
    const e = await startExporter([`--web.config.file=${file}`]);
    started.push(e);
    return `${e.url}/healthz`;
  };

  it('VerifyClientCertIfGiven: no certificate is fine, a trusted one is fine, an untrusted one is refused', async () => {
    const url = await start('VerifyClientCertIfGiven', true);
    expect((await get(url, { ca: tls.ca })).status).toBe(200);
    expect((await get(url, { ca: tls.ca, cert: tls.clientCert, key: tls.clientKey })).status).toBe(200);
    expect((await get(url, { ca: tls.ca, cert: tls.strangerCert, key: tls.strangerKey })).status).toBe(403);
  }, 20_000);

  it('RequireAnyClientCert: any certificate, verified or not, but one is needed', async () => {
    const url = await start('RequireAnyClientCert', false);
    expect((await get(url, { ca: tls.ca })).status).toBe(403);
    expect((await get(url, { ca: tls.ca, cert: tls.strangerCert, key: tls.strangerKey })).status).toBe(200);
  }, 20_000);

  it('RequestClientCert: asks, requires nothing', async () => {
    const url = await start('RequestClientCert', false);
    expect((await get(url, { ca: tls.ca })).status).toBe(200);
  }, 20_000);
});
