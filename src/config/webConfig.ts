import { dirname, isAbsolute, resolve } from 'node:path';
import { parse } from 'yaml';
import { errorMessage } from '../model/errno.js';
import { CURVES, HTTP2_REQUIRED_SUITES, TLS12_CIPHER_SUITES, TLS13_CIPHER_SUITES } from './goTlsNames.js';

/**
 * --web.config.file, in the Prometheus exporter-toolkit format, every key of it
 * (docs/security.md has the whole file with what each key does here):
 *
 *   tls_server_config:
 *     cert_file: server.crt          # or cert: inline PEM; with key_file (or key): serve HTTPS
 *     key_file: server.key
 *     client_auth_type: RequireAndVerifyClientCert   # or NoClientCert (default), RequestClientCert,
 *                                                    # RequireAnyClientCert (alias RequireClientCert), VerifyClientCertIfGiven
 *     client_ca_file: ca.crt         # or client_ca: inline PEM; CAs client certificates must chain to
 *     client_allowed_sans: [prometheus.example]      # a client certificate must carry one of these SANs
 *     min_version: TLS12             # TLS10..TLS13 (default TLS12); max_version default TLS13
 *     cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]   # Go names, TLS 1.2 and below
 *     curve_preferences: [X25519, CurveP256]
 *     prefer_server_cipher_suites: true                # default true
 *   http_server_config:
 *     http2: true                    # default true; with TLS only
 *     headers: { Strict-Transport-Security: max-age=31536000 }
 *   basic_auth_users:
 *     prometheus: $2y$10$...         # bcrypt hashes only
 *   rate_limit: { interval: 1s, burst: 10 }          # token bucket over every request; 429 beyond
 *
 * Unknown keys and names are errors, as in the toolkit: a typo must not silently turn security
 * off. Relative paths are relative to the config file.
 */
export type ClientAuthType = 'NoClientCert' | 'RequestClientCert' | 'RequireAnyClientCert' | 'VerifyClientCertIfGiven' | 'RequireAndVerifyClientCert';
export type TlsVersionName = 'TLS10' | 'TLS11' | 'TLS12' | 'TLS13';

/** PEM text from a file (cert_file) or written in the config itself (cert). */
export type PemSource = { file: string } | { inline: string };

export interface TlsSettings {
  cert: PemSource;
  key: PemSource;
  clientAuthType: ClientAuthType;
  clientCa: PemSource | undefined;
  /** client_allowed_sans: DNS names, IP addresses, e-mail addresses or URIs, matched exactly. */
  clientAllowedSans: readonly string[] | undefined;
  minVersion: TlsVersionName;
  maxVersion: TlsVersionName;
  /** cipher_suites as written (Go names); undefined: Node's defaults. */
  cipherSuites: readonly string[] | undefined;
  /** curve_preferences as written (Go names), in preference order; undefined: Node's defaults. */
  curvePreferences: readonly string[] | undefined;
  preferServerCipherSuites: boolean;
}

/** rate_limit: a token bucket of `burst` requests refilled one per `intervalMs`. */
export interface RateLimit {
  intervalMs: number;
  burst: number;
}

export interface WebConfig {
  tls: TlsSettings | undefined;
  /** http_server_config.http2: HTTP/2 next to HTTP/1.1 when TLS is on; undefined: not given (on, as in the toolkit). */
  http2: boolean | undefined;
  headers: Readonly<Record<string, string>>;
  /** User name → bcrypt hash. Empty: no authentication. */
  users: Readonly<Record<string, string>>;
  rateLimit: RateLimit | undefined;
}

export class WebConfigError extends Error {
  override name = 'WebConfigError';
}

const CLIENT_AUTH: readonly ClientAuthType[] = ['NoClientCert', 'RequestClientCert', 'RequireAnyClientCert', 'VerifyClientCertIfGiven', 'RequireAndVerifyClientCert'];
const VERSIONS: readonly TlsVersionName[] = ['TLS10', 'TLS11', 'TLS12', 'TLS13'];
const BCRYPT = /^\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}$/;
/** Headers the exporter sets itself; the toolkit refuses them too. */
const RESERVED_HEADERS = new Set(['authorization', 'content-type', 'content-encoding', 'content-length', 'www-authenticate', 'vary', 'transfer-encoding', 'connection']);
const TLS_KEYS = ['cert', 'key', 'client_ca', 'cert_file', 'key_file', 'client_auth_type', 'client_ca_file', 'client_allowed_sans', 'min_version', 'max_version', 'cipher_suites', 'curve_preferences', 'prefer_server_cipher_suites'];

export function parseWebConfig(text: string, file: string): WebConfig {
  let doc: unknown;
  try {
    doc = (parse(text, { logLevel: 'error' }) as unknown) ?? {};
  } catch (err) {
    throw new WebConfigError(`${file}: not YAML: ${errorMessage(err).split('\n')[0]}`);
  }
  const root = object(doc, file, '');
  only(root, ['tls_server_config', 'http_server_config', 'basic_auth_users', 'rate_limit'], file, '');
  const base = dirname(file);
  const path = (p: string): string => (isAbsolute(p) ? p : resolve(base, p));
  // The toolkit reads a file when both it and inline PEM are given.
  const pem = (o: Record<string, unknown>, fileKey: string, inlineKey: string): PemSource | undefined => {
    const f = optionalString(o, fileKey, file);
    if (f !== undefined) return { file: path(f) };
    const inline = optionalString(o, inlineKey, file);
    return inline === undefined ? undefined : { inline };
  };

  let tls: TlsSettings | undefined;
  if (root['tls_server_config'] !== undefined && root['tls_server_config'] !== null) {
    const t = object(root['tls_server_config'], file, 'tls_server_config');
    only(t, TLS_KEYS, file, 'tls_server_config');
    const cert = pem(t, 'cert_file', 'cert');
    const key = pem(t, 'key_file', 'key');
    if ((cert === undefined) !== (key === undefined)) throw new WebConfigError(`${file}: tls_server_config: cert_file and key_file (or cert and key) must be given together`);
    const authRaw = optionalString(t, 'client_auth_type', file) ?? 'NoClientCert';
    // "RequireClientCert" is the toolkit's old name, still accepted there.
    const clientAuthType = oneOf(authRaw === 'RequireClientCert' ? 'RequireAnyClientCert' : authRaw, CLIENT_AUTH, file, 'client_auth_type');
    const clientCa = pem(t, 'client_ca_file', 'client_ca');
    if (clientCa === undefined && (clientAuthType === 'RequireAndVerifyClientCert' || clientAuthType === 'VerifyClientCertIfGiven')) {
      throw new WebConfigError(`${file}: tls_server_config: client_auth_type ${clientAuthType} needs client_ca_file`);
    }
    if (clientCa !== undefined && clientAuthType === 'NoClientCert') throw new WebConfigError(`${file}: tls_server_config: client_ca_file is given but client_auth_type is NoClientCert`);
    const minVersion = oneOf(optionalString(t, 'min_version', file) ?? 'TLS12', VERSIONS, file, 'min_version');
    const maxVersion = oneOf(optionalString(t, 'max_version', file) ?? 'TLS13', VERSIONS, file, 'max_version');
    if (VERSIONS.indexOf(maxVersion) < VERSIONS.indexOf(minVersion)) throw new WebConfigError(`${file}: tls_server_config: max_version is below min_version`);
    const cipherSuites = stringList(t, 'cipher_suites', file);
    for (const c of cipherSuites ?? []) {
      if (!(c in TLS12_CIPHER_SUITES) && !TLS13_CIPHER_SUITES.includes(c)) throw new WebConfigError(`${file}: tls_server_config.cipher_suites: unknown cipher: ${c}`);
    }
    const curvePreferences = stringList(t, 'curve_preferences', file);
    for (const c of curvePreferences ?? []) if (!(c in CURVES)) throw new WebConfigError(`${file}: tls_server_config.curve_preferences: unknown curve: ${c} (one of ${Object.keys(CURVES).join(', ')})`);
    const prefer = t['prefer_server_cipher_suites'] ?? true;
    if (typeof prefer !== 'boolean') throw new WebConfigError(`${file}: tls_server_config.prefer_server_cipher_suites: must be true or false`);
    if (cert !== undefined && key !== undefined) {
      tls = { cert, key, clientAuthType, clientCa, clientAllowedSans: stringList(t, 'client_allowed_sans', file), minVersion, maxVersion, cipherSuites, curvePreferences, preferServerCipherSuites: prefer };
    } else if (clientCa !== undefined || clientAuthType !== 'NoClientCert') {
      throw new WebConfigError(`${file}: tls_server_config: client certificates need cert_file and key_file`);
    }
  }

  const headers: Record<string, string> = {};
  let http2: boolean | undefined;
  if (root['http_server_config'] !== undefined && root['http_server_config'] !== null) {
    const h = object(root['http_server_config'], file, 'http_server_config');
    only(h, ['headers', 'http2'], file, 'http_server_config');
    if (h['http2'] !== undefined && h['http2'] !== null) {
      if (typeof h['http2'] !== 'boolean') throw new WebConfigError(`${file}: http_server_config.http2: must be true or false`);
      http2 = h['http2'];
    }
    if (h['headers'] !== undefined && h['headers'] !== null) {
      for (const [name, value] of Object.entries(object(h['headers'], file, 'http_server_config.headers'))) {
        if (typeof value !== 'string') throw new WebConfigError(`${file}: http_server_config.headers.${name}: must be a string`);
        if (RESERVED_HEADERS.has(name.toLowerCase())) throw new WebConfigError(`${file}: http_server_config.headers: ${name} is set by the exporter itself`);
        if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name) || /[\r\n]/.test(value)) throw new WebConfigError(`${file}: http_server_config.headers: invalid header ${JSON.stringify(name)}`);
        headers[name] = value;
      }
    }
  }
  // Go's net/http would refuse to start HTTP/2 with such a list; so the toolkit, so this exporter.
  if (tls?.cipherSuites && http2 !== false && tls.minVersion !== 'TLS13' && !tls.cipherSuites.some((c) => HTTP2_REQUIRED_SUITES.includes(c))) {
    throw new WebConfigError(`${file}: tls_server_config.cipher_suites: with http2 (the default) it needs one of ${HTTP2_REQUIRED_SUITES.join(' or ')}, as HTTP/2 requires; or set http_server_config.http2: false`);
  }

  const users: Record<string, string> = {};
  if (root['basic_auth_users'] !== undefined && root['basic_auth_users'] !== null) {
    for (const [user, hash] of Object.entries(object(root['basic_auth_users'], file, 'basic_auth_users'))) {
      if (typeof hash !== 'string' || !BCRYPT.test(hash)) throw new WebConfigError(`${file}: basic_auth_users.${user}: not a bcrypt hash (make one with htpasswd -nBC 10 "" | tr -d ':\\n')`);
      if (user.includes(':')) throw new WebConfigError(`${file}: basic_auth_users: user names cannot contain ":"`);
      users[user] = hash;
    }
  }
  return { tls, http2, headers, users, rateLimit: rateLimit(root['rate_limit'], file) };
}

/** rate_limit: {interval, burst}; an interval of 0 (or none) turns it off, as in the toolkit. */
function rateLimit(v: unknown, file: string): RateLimit | undefined {
  if (v === undefined || v === null) return undefined;
  const r = object(v, file, 'rate_limit');
  only(r, ['interval', 'burst'], file, 'rate_limit');
  const intervalMs = r['interval'] === undefined || r['interval'] === null ? 0 : goDurationMs(r['interval']);
  if (intervalMs === null) throw new WebConfigError(`${file}: rate_limit.interval: ${JSON.stringify(r['interval'])} is not a duration (e.g. 1s, 500ms)`);
  const burst = r['burst'] ?? 0;
  if (typeof burst !== 'number' || !Number.isInteger(burst) || burst < 0) throw new WebConfigError(`${file}: rate_limit.burst: must be a whole number`);
  return intervalMs === 0 ? undefined : { intervalMs, burst };
}

const GO_UNITS_MS: Readonly<Record<string, number>> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go time.Duration as YAML gives it: a string like "1m30s" or "1.5s", or a number of nanoseconds. */
function goDurationMs(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? v / 1e6 : null;
  if (typeof v !== 'string') return null;
  if (v === '0') return 0;
  if (!/^((\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h))+$/.test(v)) return null;
  let ms = 0;
  for (const m of v.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g)) ms += Number(m[1]) * GO_UNITS_MS[m[2]!]!;
  return ms;
}

function stringList(o: Record<string, unknown>, key: string, file: string): readonly string[] | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((e) => typeof e === 'string')) throw new WebConfigError(`${file}: ${key} must be a list of strings`);
  return v as string[];
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
