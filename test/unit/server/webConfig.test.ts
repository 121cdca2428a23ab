import { describe, expect, it } from 'vitest';
import { parseWebConfig } from '../../../src/config/webConfig.js';

const HASH = '$2b$04$abcdefghijklmnopqrstuuGs9nq4b/7tMD6KvpeeDOxWDTVbS6ZDC';
const FILE = '/etc/tcpstate/web.yml';

describe('parseWebConfig', () => {
  it('reads TLS, headers and users, with paths relative to the file', () => {
    const c = parseWebConfig(
      `tls_server_config:
  cert_file: server.crt
  key_file: /abs/server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca.crt
  min_version: TLS13
http_server_config:
  headers:
    Strict-Transport-Security: max-age=31536000
basic_auth_users:
  prometheus: ${HASH}
`,
      FILE,
    );
    expect(c).toEqual({
      tls: {
        cert: { file: '/etc/tcpstate/server.crt' },
        key: { file: '/abs/server.key' },
        clientAuthType: 'RequireAndVerifyClientCert',
        clientCa: { file: '/etc/tcpstate/ca.crt' },
        clientAllowedSans: undefined,
        minVersion: 'TLS13',
        maxVersion: 'TLS13',
        cipherSuites: undefined,
        curvePreferences: undefined,
        preferServerCipherSuites: true,
      },
      http2: undefined,
      headers: { 'Strict-Transport-Security': 'max-age=31536000' },
      users: { prometheus: HASH },
      rateLimit: undefined,
    });
  });

  it('takes an empty file as no protection at all, and has the toolkit\'s defaults', () => {
    expect(parseWebConfig('', FILE)).toEqual({ tls: undefined, http2: undefined, headers: {}, users: {}, rateLimit: undefined });
    expect(parseWebConfig('tls_server_config:\n  cert_file: a\n  key_file: b\n', FILE).tls).toMatchObject({
      clientAuthType: 'NoClientCert',
      minVersion: 'TLS12',
      maxVersion: 'TLS13',
      preferServerCipherSuites: true,
    });
  });

  it('accepts every exporter-toolkit key, as node_exporter does', () => {
    const c = parseWebConfig(
      `tls_server_config:
  cert: |
    -----BEGIN CERTIFICATE-----
  key: inline-key
  client_ca: inline-ca
  client_auth_type: RequireClientCert
  client_allowed_sans: [prometheus.example, 10.0.0.1]
  min_version: TLS12
  max_version: TLS12
  cipher_suites:
    - TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
    - TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256
    - TLS_AES_128_GCM_SHA256
  curve_preferences: [X25519, CurveP256, CurveP384, CurveP521]
  prefer_server_cipher_suites: false
http_server_config:
  http2: false
rate_limit:
  interval: 1m30s
  burst: 5
`,
      FILE,
    );
    expect(c.tls).toMatchObject({
      cert: { inline: '-----BEGIN CERTIFICATE-----\n' },
      key: { inline: 'inline-key' },
      clientCa: { inline: 'inline-ca' },
      clientAuthType: 'RequireAnyClientCert',
      clientAllowedSans: ['prometheus.example', '10.0.0.1'],
      maxVersion: 'TLS12',
      cipherSuites: ['TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256', 'TLS_AES_128_GCM_SHA256'],
      curvePreferences: ['X25519', 'CurveP256', 'CurveP384', 'CurveP521'],
      preferServerCipherSuites: false,
    });
    expect(c.http2).toBe(false);
    expect(c.rateLimit).toEqual({ intervalMs: 90_000, burst: 5 });
  });

  it('reads a file over inline PEM when both are given, as the toolkit does', () => {
    expect(parseWebConfig('tls_server_config:\n  cert_file: a.crt\n  cert: x\n  key_file: a.key\n', FILE).tls).toMatchObject({ cert: { file: '/etc/tcpstate/a.crt' }, key: { file: '/etc/tcpstate/a.key' } });
  });

  it.each([
    ['1s', 1000],
    ['500ms', 500],
    ['1.5s', 1500],
    ['250us', 0.25],
    [1_000_000_000, 1000],
  ])('reads the rate_limit interval %j as Go does', (interval, ms) => {
    expect(parseWebConfig(`rate_limit:\n  interval: ${JSON.stringify(interval)}\n  burst: 1\n`, FILE).rateLimit).toEqual({ intervalMs: ms, burst: 1 });
  });

  it('turns the rate limit off with an interval of 0, as the toolkit does', () => {
    expect(parseWebConfig('rate_limit:\n  interval: 0\n  burst: 10\n', FILE).rateLimit).toBeUndefined();
  });

  it.each([
    ['not YAML', 'a: [1,', /not YAML/],
    ['not a mapping', '- 1\n', /must be a mapping/],
    ['an unknown top-level key (a typo must not turn security off)', 'basic_auth_user:\n  a: b\n', /unknown key "basic_auth_user"/],
    ['an unknown TLS key', 'tls_server_config:\n  certificate: a\n', /unknown key "certificate"/],
    ['a certificate without its key', 'tls_server_config:\n  cert_file: a\n', /cert_file and key_file \(or cert and key\) must be given together/],
    ['an unknown cipher suite (the toolkit\'s message)', 'tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites: [TLS_RSA_WITH_RC4_128_SHA]\n', /unknown cipher: TLS_RSA_WITH_RC4_128_SHA/],
    ['an unknown curve', 'tls_server_config:\n  cert_file: a\n  key_file: b\n  curve_preferences: [CurveP224]\n', /unknown curve: CurveP224/],
    ['cipher suites HTTP/2 cannot use, with http2 on (Go refuses to serve them)', 'tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384]\n', /needs one of TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 or TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256/],
    ['a client CA without a client auth type (the toolkit refuses it)', 'tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: ca\n', /client_ca_file is given but client_auth_type is NoClientCert/],
    ['http2 that is not a boolean', 'http_server_config:\n  http2: yes please\n', /http2: must be true or false/],
    ['a rate limit interval that is not a duration', 'rate_limit:\n  interval: often\n', /rate_limit.interval: "often" is not a duration/],
    ['an unknown rate_limit key', 'rate_limit:\n  every: 1s\n', /rate_limit: unknown key "every"/],
    ['an unknown client auth type', 'tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: Always\n', /client_auth_type: "Always" is not one of/],
    ['verified client certificates without a CA', 'tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: RequireAndVerifyClientCert\n', /needs client_ca_file/],
    ['client certificates without a server certificate', 'tls_server_config:\n  client_auth_type: RequireAnyClientCert\n', /need cert_file and key_file/],
    ['a max version below the min version', 'tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS13\n  max_version: TLS12\n', /max_version is below min_version/],
    ['a plain-text password', 'basic_auth_users:\n  prometheus: hunter2\n', /not a bcrypt hash/],
    ['a header the exporter sets', 'http_server_config:\n  headers:\n    Content-Type: text/html\n', /set by the exporter itself/],
    ['a header with a line break', 'http_server_config:\n  headers:\n    X-A: "a\\r\\nSet-Cookie: x"\n', /invalid header/],
  ])('rejects %s', (_name, text, message) => {
    expect(() => parseWebConfig(text, FILE)).toThrow(message);
  });
});
