import { describe, expect, it } from 'vitest';
import { parseWebConfig } from '../../../src/config/webConfig.js';
import { TokenBucket } from '../../../src/server/rateLimit.js';
import { nodeTlsOptions } from '../../../src/server/tlsOptions.js';

const tlsOf = (extra: string) => parseWebConfig(`tls_server_config:\n  cert: CERT\n  key: KEY\n${extra}`, '/etc/web.yml').tls!;

describe('nodeTlsOptions: the toolkit\'s Go names in Node\'s terms', () => {
  it('maps cipher suites, curves and the server preference; inline PEM is used as given', async () => {
    const { options, notes } = await nodeTlsOptions(
      tlsOf('  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, TLS_RSA_WITH_AES_128_CBC_SHA, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]\n  curve_preferences: [X25519, CurveP521]\n  prefer_server_cipher_suites: false\n'),
    );
    expect(options).toMatchObject({
      cert: Buffer.from('CERT'),
      key: Buffer.from('KEY'),
      ciphers: 'ECDHE-RSA-AES256-GCM-SHA384:AES128-SHA:ECDHE-RSA-AES128-GCM-SHA256',
      ecdhCurve: 'X25519:P-521',
      honorCipherOrder: false,
      minVersion: 'TLSv1.2',
      maxVersion: 'TLSv1.3',
    });
    expect(notes).toEqual([]);
  });

  it('serves TLS 1.3 only when the list has no TLS 1.2 suite, as Go ends up doing, and says so', async () => {
    // (With http2 on, Go would refuse this list for lacking HTTP/2's TLS 1.2 suite.)
    const { options, notes } = await nodeTlsOptions(tlsOf('  cipher_suites: [TLS_AES_256_GCM_SHA384]\nhttp_server_config:\n  http2: false\n'));
    expect(options.minVersion).toBe('TLSv1.3');
    expect(options.ciphers).toBeUndefined();
    expect(notes).toEqual([
      'cipher_suites: TLS_AES_256_GCM_SHA384 ignored: TLS 1.3 suites are not configurable, as in Go; every TLS 1.3 suite stays enabled',
      'cipher_suites: no TLS 1.2 suite listed, so only TLS 1.3 is served (as Go does with this list)',
    ]);
  });

  it('notes what OpenSSL serves differently: TLS 1.0/1.1, and SANs without a client certificate asked for', async () => {
    expect((await nodeTlsOptions(tlsOf('  min_version: TLS10\n'))).notes).toEqual([expect.stringMatching(/^min_version: TLS10 accepted, but OpenSSL 3 .* TLS 1.2 is the lowest served$/)]);
    expect((await nodeTlsOptions(tlsOf('  client_allowed_sans: [a]\n'))).notes).toEqual([expect.stringMatching(/client_allowed_sans has no effect with client_auth_type NoClientCert/)]);
  });
});

describe('TokenBucket (rate_limit)', () => {
  it('allows a burst, refuses beyond it, and refills one token per interval', () => {
    let now = 0;
    const bucket = new TokenBucket({ intervalMs: 1000, burst: 2 }, () => now);
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, false]);
    now += 999;
    expect(bucket.take()).toBe(false);
    now += 1;
    expect([bucket.take(), bucket.take()]).toEqual([true, false]);
    now += 10_000;
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, false]);
  });

  it('refuses everything with a burst of 0, as Go\'s limiter does', () => {
    let now = 0;
    const bucket = new TokenBucket({ intervalMs: 1, burst: 0 }, () => now);
    now += 1000;
    expect(bucket.take()).toBe(false);
  });
});

describe('WebSecurity notes for plain HTTP', () => {
  it('says once that http2 needs TLS when the file turns it on without TLS, and nothing when the key is absent', async () => {
    const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { WebSecurity } = await import('../../../src/server/webSecurity.js');
    const dir = mkdtempSync(join(tmpdir(), 'tcpstate-web-'));
    try {
      writeFileSync(join(dir, 'on.yml'), 'http_server_config:\n  http2: true\n');
      writeFileSync(join(dir, 'absent.yml'), 'http_server_config:\n  headers:\n    X-Frame-Options: deny\n');
      const on = await WebSecurity.load(join(dir, 'on.yml'));
      expect(on.notes()).toEqual(['http_server_config.http2 applies with TLS only: plain HTTP/1.1 is served, as by the exporter-toolkit']);
      expect(on.http2).toBe(false);
      expect((await WebSecurity.load(join(dir, 'absent.yml'))).notes()).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
