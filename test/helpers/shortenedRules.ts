import { readFileSync, writeFileSync } from 'node:fs';
import { isMap, isSeq, parseDocument, type YAMLMap } from 'yaml';

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };

/** A Prometheus duration ("15m", "1h30m", "0s") in milliseconds; throws on anything else. */
export function durationMs(text: string): number {
  const parts = [...text.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) throw new Error(`not a Prometheus duration: ${text}`);
  return parts.reduce((sum, p) => sum + Number(p[1]) * UNIT_MS[p[2]!]!, 0);
}

/** One `for:` the copy changed: which alert, from what to what. */
export interface ShortenedFor {
  alert: string;
  from: string;
  to: string;
}

/**
 * Copies a Prometheus rule file (`groups[].rules[]`) to `dest` with every alert's `for:` longer
 * than `to` set to `to`, and nothing else changed (expressions, labels, annotations, and the
 * `for:` of alerts already at or below `to`, e.g. "0m", stay as they are). Lets a test see an
 * alert with a 15-minute `for:` fire within seconds while evaluating the shipped expression.
 * Returns the changes made.
 */
export function writeShortenedRules(source: string, dest: string, to = '10s'): ShortenedFor[] {
  const doc = parseDocument(readFileSync(source, 'utf8'));
  if (doc.errors.length > 0) throw new Error(`${source}: ${doc.errors.map((e) => e.message).join('; ')}`);
  const limit = durationMs(to);
  const changes: ShortenedFor[] = [];
  const groups = doc.get('groups');
  if (isSeq(groups)) {
    for (const group of groups.items) {
      const rules = isMap(group) ? group.get('rules') : undefined;
      if (!isSeq(rules)) continue;
      for (const rule of rules.items) {
        if (!isMap(rule)) continue;
        const map = rule as YAMLMap<string, unknown>;
        const current = map.get('for');
        if (typeof current === 'string' && durationMs(current) > limit) {
          changes.push({ alert: String(map.get('alert')), from: current, to });
          map.set('for', to);
        }
      }
    }
  }
  writeFileSync(dest, doc.toString({ lineWidth: 0 })); // no folding: the copy differs only in `for:`
  return changes;
}
