/**
 * The names the exporter-toolkit's web config takes for TLS settings are Go's crypto/tls names;
 * Node's TLS is OpenSSL and takes OpenSSL's. These tables translate one into the other, so one
 * web config file serves node_exporter and this exporter alike.
 */

/**
 * TLS 1.0-1.2 cipher suites: Go's name (crypto/tls CipherSuites(), plus the RSA key-exchange
 * suites that Go listed there before 1.22 and that older exporters still accept) → OpenSSL's.
 * Go's insecure suites (RC4, 3DES, CBC with SHA-256) are refused by the toolkit and here.
 */
export const TLS12_CIPHER_SUITES: Readonly<Record<string, string>> = {
  TLS_RSA_WITH_AES_128_CBC_SHA: 'AES128-SHA',
  TLS_RSA_WITH_AES_256_CBC_SHA: 'AES256-SHA',
  TLS_RSA_WITH_AES_128_GCM_SHA256: 'AES128-GCM-SHA256',
  TLS_RSA_WITH_AES_256_GCM_SHA384: 'AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
};

/**
 * TLS 1.3 suites: Go accepts their names in the list but ignores them (TLS 1.3 suites are not
 * configurable in Go, all stay enabled); so does this exporter, saying so in the log.
 */
export const TLS13_CIPHER_SUITES: readonly string[] = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'];

/**
 * Go's net/http refuses to serve HTTP/2 over TLS 1.2 with a cipher_suites list lacking one of
 * these (RFC 7540 9.2.2's mandatory suite), and the toolkit's http2 is on by default.
 */
export const HTTP2_REQUIRED_SUITES: readonly string[] = ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'];

/** curve_preferences: the toolkit's names (Go's tls.CurveID) → OpenSSL group names for Node's ecdhCurve. */
export const CURVES: Readonly<Record<string, string>> = {
  CurveP256: 'P-256',
  CurveP384: 'P-384',
  CurveP521: 'P-521',
  X25519: 'X25519',
};
