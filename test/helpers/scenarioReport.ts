/**
 * One line of the scenario report: an alert (or the absence of one) against the trouble a test
 * made. Times are Unix milliseconds; undefined where it did not happen.
 */
export interface ScenarioRow {
  scenario: string;
  /** Alert name, or what was expected not to fire (e.g. "no critical"). */
  alert: string;
  /** The alert's place labels (port, role, destination), or a short outcome. */
  place: string;
  troubleAtMs: number;
  /** Prometheus activeAt: when the alert became pending. */
  pendingAtMs?: number | undefined;
  firingAtMs?: number | undefined;
  troubleEndMs?: number | undefined;
  resolvedAtMs?: number | undefined;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)}s`;
const after = (from: number | undefined, to: number | undefined): string => (from === undefined || to === undefined ? '-' : `${to >= from ? '+' : '-'}${seconds(Math.abs(to - from))}`);

/**
 * A fixed-width text table of the rows: when the trouble began (from `originMs`), how long after
 * it the alert was pending and firing, when the trouble ended (after it began), how long after
 * the end the alert resolved, and how long the alert was active (pending to resolved).
 */
export function formatScenarioTable(rows: readonly ScenarioRow[], originMs: number): string {
  const header = ['scenario', 'alert', 'place / outcome', 'trouble at', 'pending', 'firing', 'trouble ended', 'resolved', 'active for'];
  const cells = rows.map((r) => [
    r.scenario,
    r.alert,
    r.place,
    seconds(r.troubleAtMs - originMs),
    after(r.troubleAtMs, r.pendingAtMs),
    after(r.troubleAtMs, r.firingAtMs),
    after(r.troubleAtMs, r.troubleEndMs),
    after(r.troubleEndMs, r.resolvedAtMs),
    after(r.pendingAtMs, r.resolvedAtMs),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: readonly string[]): string => `| ${c.map((v, i) => v.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}
