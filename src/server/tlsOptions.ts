import { readFile } from 'node:fs/promises';
import { CURVES, TLS12_CIPHER_SUITES, TLS13_CIPHER_SUITES } from '../config/goTlsNames.js';
import { WebConfigError, type PemSource, type TlsSettings, type TlsVersionName } from '../config/webConfig.js';
import { errorMessage } from '../model/errno.js';

type NodeTlsVersion = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

/** Node's TLS server options for a tls_server_config, with the files read. */
export interface HttpsOptions {
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
  minVersion: NodeTlsVersion;
  maxVersion: NodeTlsVersion;
  /** cipher_suites in OpenSSL's names, ":"-separated (TLS 1.2 and below); absent: Node's defaults. */
  ciphers?: string;
  /** curve_preferences in OpenSSL's names, ":"-separated, in preference order. */
  ecdhCurve?: string;
  /** prefer_server_cipher_suites. */
  honorCipherOrder: boolean;
  requestCert: boolean;
  rejectUnauthorized: boolean;
}

/** What a tls_server_config became in Node, and what of it has no effect here (one log line each). */
export interface NodeTls {
  options: HttpsOptions;
  notes: string[];
}

const NODE_VERSION: Record<TlsVersionName, NodeTlsVersion> = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' };

async function readPem(source: PemSource, what: string): Promise<Buffer> {
  if ('inline' in source) return Buffer.from(source.inline);
  try {
    return await readFile(source.file);
  } catch (err) {
    throw new WebConfigError(`tls_server_config: cannot read ${what} ${source.file}: ${errorMessage(err)}`);
  }
}

/**
 * Node's TLS options for a tls_server_config: Go cipher and curve names become OpenSSL's,
 * prefer_server_cipher_suites becomes honorCipherOrder. Where Go and OpenSSL differ, the notes
 * say what is served instead.
 */
export async function nodeTlsOptions(t: TlsSettings): Promise<NodeTls> {
  const notes: string[] = [];
  const options: HttpsOptions = {
    cert: await readPem(t.cert, 'cert_file'),
    key: await readPem(t.key, 'key_file'),
    minVersion: NODE_VERSION[t.minVersion],
    maxVersion: NODE_VERSION[t.maxVersion],
    honorCipherOrder: t.preferServerCipherSuites,
    requestCert: t.clientAuthType !== 'NoClientCert',
    // Node verifies and rejects at the handshake only for this type; the others are checked per request.
    rejectUnauthorized: t.clientAuthType === 'RequireAndVerifyClientCert',
  };
  if (t.clientCa !== undefined) options.ca = await readPem(t.clientCa, 'client_ca_file');
  if (t.cipherSuites !== undefined) {
    const tls12 = t.cipherSuites.flatMap((c) => TLS12_CIPHER_SUITES[c] ?? []);
    const tls13 = t.cipherSuites.filter((c) => TLS13_CIPHER_SUITES.includes(c));
    if (tls13.length > 0) notes.push(`cipher_suites: ${tls13.join(', ')} ignored: TLS 1.3 suites are not configurable, as in Go; every TLS 1.3 suite stays enabled`);
    if (tls12.length > 0) {
      options.ciphers = tls12.join(':');
    } else if (t.minVersion !== 'TLS13') {
      // Go then has no suite for TLS 1.2 and below: only TLS 1.3 handshakes succeed.
      options.minVersion = 'TLSv1.3';
      notes.push('cipher_suites: no TLS 1.2 suite listed, so only TLS 1.3 is served (as Go does with this list)');
    }
  }
  if (t.clientAllowedSans && t.clientAuthType === 'NoClientCert') notes.push('client_allowed_sans has no effect with client_auth_type NoClientCert (no client certificate is asked for), as in the toolkit');
  if (t.curvePreferences !== undefined) options.ecdhCurve = t.curvePreferences.map((c) => CURVES[c]!).join(':');
  if (options.minVersion === 'TLSv1' || options.minVersion === 'TLSv1.1') {
    notes.push(`min_version: ${t.minVersion} accepted, but OpenSSL 3 (Node's TLS) refuses TLS 1.0 and 1.1 at its default security level: TLS 1.2 is the lowest served`);
  }
  return { options, notes };
}
