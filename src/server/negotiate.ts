interface MediaRange {
  type: string;
  version: string | undefined;
  q: number;
}

function parseAccept(header: string): MediaRange[] {
  return header.split(',').map((part) => {
    const [type = '', ...params] = part.split(';').map((s) => s.trim());
    let q = 1;
    let version: string | undefined;
    for (const p of params) {
      const [k, v] = p.split('=').map((s) => s.trim());
      if (k === 'q') q = Number.isFinite(Number(v)) ? Number(v) : 0;
      if (k === 'version') version = v;
    }
    return { type: type.toLowerCase(), version, q };
  });
}

/**
 * OpenMetrics 1.0.0 when the scraper asks for it at least as strongly as for the text format
 * (Prometheus sends both, preferring OpenMetrics); the classic text format otherwise.
 */
export function wantsOpenMetrics(accept: string | undefined): boolean {
  if (!accept) return false;
  const ranges = parseAccept(accept);
  const best = (pred: (r: MediaRange) => boolean): number => Math.max(0, ...ranges.filter(pred).map((r) => r.q));
  const om = best((r) => r.type === 'application/openmetrics-text' && (r.version === undefined || r.version === '1.0.0'));
  const text = best((r) => r.type === 'text/plain');
  return om > 0 && om >= text;
}

/** Whether the client accepts a gzip response (q > 0). */
export function acceptsGzip(acceptEncoding: string | undefined): boolean {
  if (!acceptEncoding) return false;
  return parseAccept(acceptEncoding).some((r) => (r.type === 'gzip' || r.type === 'x-gzip') && r.q > 0);
}
