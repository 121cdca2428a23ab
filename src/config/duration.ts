/** Prometheus-style durations: one or more `<number><unit>` parts, e.g. "15s", "1m30s", "500ms". */
const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** The longest delay Node.js timers keep (2^31 - 1 ms, about 24.8 days); longer ones fire at once. */
export const MAX_DURATION_MS = 2 ** 31 - 1;

/** Milliseconds, or null for text that is not a duration or is longer than MAX_DURATION_MS. */
export function parseDurationMs(text: string): number | null {
  if (!/^(\d+(ms|s|m|h))+$/.test(text)) return null;
  let total = 0;
  for (const m of text.matchAll(/(\d+)(ms|s|m|h)/g)) total += Number(m[1]) * UNITS[m[2]!]!;
  return total <= MAX_DURATION_MS ? total : null;
}
