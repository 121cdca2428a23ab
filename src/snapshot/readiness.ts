import { defaultCollectorTimeoutMs, staleAfterMs as staleAfter } from './deadline.js';
import type { Snapshot } from './snapshot.js';

export interface Readiness {
  ready: boolean;
  /** One line: "ready", or why not. */
  reason: string;
}

/**
 * What /readyz answers. Ready means: a snapshot has been published, its sockets collector
 * succeeded (it holds the socket table; with --no-collector.sockets there is none to require),
 * and it is no older than `staleAfterMs` (see deadline.ts; by default derived from the
 * snapshot's interval and the default timeout).
 */
export function readiness(snapshot: Snapshot | undefined, nowMs: number, staleAfterMs?: number): Readiness {
  if (!snapshot) return { ready: false, reason: 'not ready: no collection has finished yet' };
  const sockets = snapshot.status.sockets;
  if (sockets && !sockets.success) {
    return { ready: false, reason: `not ready: the last cycle has no socket table (sockets collector: ${sockets.error ?? 'failed'})` };
  }
  const intervalMs = snapshot.intervalSeconds * 1000;
  const limitMs = staleAfterMs ?? staleAfter(intervalMs, defaultCollectorTimeoutMs(intervalMs));
  const ageMs = nowMs - snapshot.takenAtMs;
  if (ageMs > limitMs) return { ready: false, reason: `not ready: the last snapshot is ${(ageMs / 1000).toFixed(1)}s old (stale after ${limitMs / 1000}s)` };
  return { ready: true, reason: 'ready' };
}
