import { describe, expect, it } from 'vitest';
import { scrapeWaitMs } from '../../../src/server/scrapeTimeout.js';

/** How long a scrape before the first collection waits, from Prometheus' header (the end to end case: test/integration/cli/scrapeTimeout.test.ts). */
describe('scrapeWaitMs (X-Prometheus-Scrape-Timeout-Seconds)', () => {
  it.each<[string | undefined, number]>([
    ['10', 9500],
    ['0.75', 250],
    ['0.4', 0],
    ['1e3', 120_000],
    ['0', 0],
    ['-5', 0],
    ['soon', 0],
    ['', 0],
    [undefined, 0],
  ])('%j -> wait up to %d ms', (header, ms) => {
    expect(scrapeWaitMs(header)).toBe(ms);
  });
});
