import { dirname, isAbsolute, resolve } from 'node:path';
import { parse } from 'yaml';

/**
 * --web.config.file, in the Prometheus exporter-toolkit format:
 *
 *   tls_server_config:
 *     cert_file: server.crt          # with key_file: serve HTTPS
 *     key_file: server.key
 *     client_auth_type: RequireAndVerifyClientCert   # or NoClientCert (default), RequestClientCert,
 *                                                    # RequireAnyClientCert, VerifyClientCertIfGiven
 *     client_ca_file: ca.crt         # CAs that client certificates must chain to
 *     min_version: TLS12             # TLS10..TLS13 (default TLS12)
 *     max_version: TLS13
 *   http_server_config:
 *     headers: { Strict-Transport-Security: max-age=31536000 }
 *   basic_auth_users:
 *     prometheus: $2y$10$...         # bcrypt hashes only
 *
 * Unknown keys are errors, as in the toolkit: a typo must not silently turn security off.
 * Relative paths are relative to the config file.
 */
export type ClientAuthType = 'NoClientCert' | 'RequestClientCert' | 'RequireAnyClientCert' | 'VerifyClientCertIfGiven' | 'RequireAndVerifyClientCert';
export type TlsVersionName = 'TLS10' | 'TLS11' | 'TLS12' | 'TLS13';

export interface TlsSettings {
  certFile: string;
  keyFile: string;
  clientAuthType: ClientAuthType;
  clientCaFile: string | undefined;
  minVersion: TlsVersionName;
  maxVersion: TlsVersionName | undefined;
}

export interface WebConfig {
  tls: TlsSettings | undefined;
  headers: Readonly<Record<string, string>>;
  /** User name → bcrypt hash. Empty: no authentication. */
  users: Readonly<Record<string, string>>;
}

export class WebConfigError extends Error {
  override name = 'WebConfigError';
}

const CLIENT_AUTH: readonly ClientAuthType[] = ['NoClientCert', 'RequestClientCert', 'RequireAnyClientCert', 'VerifyClientCertIfGiven', 'RequireAndVerifyClientCert'];
const VERSIONS: readonly TlsVersionName[] = ['TLS10', 'TLS11', 'TLS12', 'TLS13'];
const BCRYPT = /^\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}$/;
/** Headers the exporter sets itself; the toolkit refuses them too. */
const RESERVED_HEADERS = new Set(['authorization', 'content-type', 'content-encoding', 'content-length', 'www-authenticate', 'vary', 'transfer-encoding', 'connection']);

export function parseWebConfig(text: string, file: string): WebConfig {
  let doc: unknown;
  try {
    doc = (parse(text, { logLevel: 'error' }) as unknown) ?? {};
  } catch (err) {
    throw new WebConfigError(`${file}: not YAML: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }
  const root = object(doc, file, '');
  only(root, ['tls_server_config', 'http_server_config', 'basic_auth_users'], file, '');
  const base = dirname(file);
  const path = (p: string): string => (isAbsolute(p) ? p : resolve(base, p));

  let tls: TlsSettings | undefined;
  if (root['tls_server_config'] !== undefined) {
    const t = object(root['tls_server_config'], file, 'tls_server_config');
    only(t, ['cert_file', 'key_file', 'client_auth_type', 'client_ca_file', 'min_version', 'max_version'], file, 'tls_server_config');
    const cert = optionalString(t, 'cert_file', file);
    const key = optionalString(t, 'key_file', file);
    if ((cert === undefined) !== (key === undefined)) throw new WebConfigError(`${file}: tls_server_config: cert_file and key_file must be given together`);
    const clientAuthType = oneOf(optionalString(t, 'client_auth_type', file) ?? 'NoClientCert', CLIENT_AUTH, file, 'client_auth_type');
    const clientCa = optionalString(t, 'client_ca_file', file);
    if (clientCa === undefined && (clientAuthType === 'RequireAndVerifyClientCert' || clientAuthType === 'VerifyClientCertIfGiven')) {
      throw new WebConfigError(`${file}: tls_server_config: client_auth_type ${clientAuthType} needs client_ca_file`);
    }
    const minVersion = oneOf(optionalString(t, 'min_version', file) ?? 'TLS12', VERSIONS, file, 'min_version');
    const maxRaw = optionalString(t, 'max_version', file);
    const maxVersion = maxRaw === undefined ? undefined : oneOf(maxRaw, VERSIONS, file, 'max_version');
    if (maxVersion !== undefined && VERSIONS.indexOf(maxVersion) < VERSIONS.indexOf(minVersion)) throw new WebConfigError(`${file}: tls_server_config: max_version is below min_version`);
    if (cert !== undefined && key !== undefined) {
      tls = { certFile: path(cert), keyFile: path(key), clientAuthType, clientCaFile: clientCa === undefined ? undefined : path(clientCa), minVersion, maxVersion };
    } else if (clientCa !== undefined || clientAuthType !== 'NoClientCert') {
      throw new WebConfigError(`${file}: tls_server_config: client certificates need cert_file and key_file`);
    }
  }

  const headers: Record<string, string> = {};
  if (root['http_server_config'] !== undefined) {
    const h = object(root['http_server_config'], file, 'http_server_config');
    only(h, ['headers', 'http2'], file, 'http_server_config');
    if (h['headers'] !== undefined) {
      for (const [name, value] of Object.entries(object(h['headers'], file, 'http_server_config.headers'))) {
        if (typeof value !== 'string') throw new WebConfigError(`${file}: http_server_config.headers.${name}: must be a string`);
        if (RESERVED_HEADERS.has(name.toLowerCase())) throw new WebConfigError(`${file}: http_server_config.headers: ${name} is set by the exporter itself`);
        if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name) || /[\r\n]/.test(value)) throw new WebConfigError(`${file}: http_server_config.headers: invalid header ${JSON.stringify(name)}`);
        headers[name] = value;
      }
    }
  }

  const users: Record<string, string> = {};
  if (root['basic_auth_users'] !== undefined && root['basic_auth_users'] !== null) {
    for (const [user, hash] of Object.entries(object(root['basic_auth_users'], file, 'basic_auth_users'))) {
      if (typeof hash !== 'string' || !BCRYPT.test(hash)) throw new WebConfigError(`${file}: basic_auth_users.${user}: not a bcrypt hash (make one with htpasswd -nBC 10 "" | tr -d ':\\n')`);
      if (user.includes(':')) throw new WebConfigError(`${file}: basic_auth_users: user names cannot contain ":"`);
      users[user] = hash;
    }
  }
  return { tls, headers, users };
}

function object(v: unknown, file: string, where: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new WebConfigError(`${file}: ${where || 'the file'} must be a mapping`);
  return v as Record<string, unknown>;
}

function only(o: Record<string, unknown>, keys: readonly string[], file: string, where: string): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) throw new WebConfigError(`${file}: ${where ? `${where}: ` : ''}unknown key "${k}"`);
}

function optionalString(o: Record<string, unknown>, key: string, file: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new WebConfigError(`${file}: ${key} must be a string`);
  return v;
}

function oneOf<T extends string>(v: string, allowed: readonly T[], file: string, key: string): T {
  if ((allowed as readonly string[]).includes(v)) return v as T;
  throw new WebConfigError(`${file}: ${key}: "${v}" is not one of ${allowed.join(', ')}`);
}
