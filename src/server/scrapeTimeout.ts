/**
 * Prometheus sends its scrape_timeout with every scrape, in seconds (e.g. "10"), as this header;
 * vmagent and the Grafana Agent do too.
 */
export const SCRAPE_TIMEOUT_HEADER = 'x-prometheus-scrape-timeout-seconds';

/**
 * Time kept back from the scraper's timeout so the answer still reaches it: blackbox_exporter's
 * --timeout-offset default.
 */
export const TIMEOUT_OFFSET_MS = 500;

/** An absurd header value (or a typo'd scrape_timeout of hours) must not hold a request that long. */
const MAX_WAIT_MS = 120_000;

/**
 * How long this scrape may wait for something before answering: the scraper's timeout less
 * TIMEOUT_OFFSET_MS, at most MAX_WAIT_MS; 0 without a usable header (no number, not positive).
 */
export function scrapeWaitMs(header: string | string[] | undefined): number {
  const text = Array.isArray(header) ? header[0] : header;
  const seconds = text === undefined || text.trim() === '' ? NaN : Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0) return 0;
  return Math.min(MAX_WAIT_MS, Math.max(0, seconds * 1000 - TIMEOUT_OFFSET_MS));
}

/** Resolves with `promise`'s value, or undefined once `ms` have passed, whichever comes first. */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}
