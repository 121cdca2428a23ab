import { describe, expect, it } from 'vitest';
import { parseWebConfig } from '../../src/config/webConfig.js';

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
      tls: { certFile: '/etc/tcpstate/server.crt', keyFile: '/abs/server.key', clientAuthType: 'RequireAndVerifyClientCert', clientCaFile: '/etc/tcpstate/ca.crt', minVersion: 'TLS13', maxVersion: undefined },
      headers: { 'Strict-Transport-Security': 'max-age=31536000' },
      users: { prometheus: HASH },
    });
  });

  it('takes an empty file as no protection at all, and defaults to TLS 1.2 without client certificates', () => {
    expect(parseWebConfig('', FILE)).toEqual({ tls: undefined, headers: {}, users: {} });
    expect(parseWebConfig('tls_server_config:\n  cert_file: a\n  key_file: b\n', FILE).tls).toMatchObject({ clientAuthType: 'NoClientCert', minVersion: 'TLS12' });
  });

  it.each([
    ['not YAML', 'a: [1,', /not YAML/],
    ['not a mapping', '- 1\n', /must be a mapping/],
    ['an unknown top-level key (a typo must not turn security off)', 'basic_auth_user:\n  a: b\n', /unknown key "basic_auth_user"/],
    ['an unknown TLS key', 'tls_server_config:\n  cert: a\n', /unknown key "cert"/],
    ['a certificate without its key', 'tls_server_config:\n  cert_file: a\n', /cert_file and key_file must be given together/],
    ['an unknown client auth type', 'tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: Always\n', /client_auth_type: "Always" is not one of/],
    ['verified client certificates without a CA', 'tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: RequireAndVerifyClientCert\n', /needs client_ca_file/],
    ['client certificates without a server certificate', 'tls_server_config:\n  client_ca_file: ca\n', /need cert_file and key_file/],
    ['a max version below the min version', 'tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS13\n  max_version: TLS12\n', /max_version is below min_version/],
    ['a plain-text password', 'basic_auth_users:\n  prometheus: hunter2\n', /not a bcrypt hash/],
    ['a header the exporter sets', 'http_server_config:\n  headers:\n    Content-Type: text/html\n', /set by the exporter itself/],
    ['a header with a line break', 'http_server_config:\n  headers:\n    X-A: "a\\r\\nSet-Cookie: x"\n', /invalid header/],
  ])('rejects %s', (_name, text, message) => {
    expect(() => parseWebConfig(text, FILE)).toThrow(message);
  });
});
