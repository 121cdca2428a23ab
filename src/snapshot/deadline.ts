/**
 * How long a collector may take, and when a snapshot counts as stale. One place, because the
 * poller, /readyz, the flags and the docs must agree.
 */

/** The floor of the default --collector.timeout: short intervals must not fail a slow but working walk. */
export const MIN_DEFAULT_TIMEOUT_MS = 10_000;

/** Default --collector.timeout: the interval, but at least 10 s. */
export function defaultCollectorTimeoutMs(intervalMs: number): number {
  return Math.max(intervalMs, MIN_DEFAULT_TIMEOUT_MS);
}

/**
 * The age past which the served snapshot is stale (/readyz answers 503). A cycle starts at most
 * max(interval, timeout) after the previous one started and publishes at most `timeout` later, so
 * a working exporter never serves a snapshot older than max(interval, timeout) + timeout; one more
 * interval of slack on top. With the defaults (15 s, 15 s): 45 s, three intervals, as the
 * TcpstateSnapshotStale alert counts.
 */
export function staleAfterMs(intervalMs: number, timeoutMs: number): number {
  return Math.max(intervalMs, timeoutMs) + timeoutMs + intervalMs;
}

export type Outcome<T> = { kind: 'done'; value: T } | { kind: 'failed'; error: unknown } | { kind: 'timeout' };

/**
 * Waits for `work` for at most `ms`, or until `cancel` aborts (shutdown). Never rejects; the work
 * goes on after a timeout (a promise cannot be cancelled), and the caller decides what to do with it.
 *
 * Nothing of a finished wait stays reachable from `cancel`, which lives as long as the poller: its
 * listener is removed when the wait ends. (A `then` on a long-lived promise cannot be taken back:
 * raced per collector per cycle, it kept every result and timer until shutdown, ~45 KB/s.)
 */
export function withDeadline<T>(work: Promise<T>, ms: number, cancel: AbortSignal): Promise<Outcome<T>> {
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const finish = (outcome: Outcome<T>): void => {
      if (timer === undefined) return;
      clearTimeout(timer);
      timer = undefined;
      cancel.removeEventListener('abort', onAbort);
      resolve(outcome);
    };
    const onAbort = (): void => finish({ kind: 'timeout' });
    timer = setTimeout(onAbort, ms);
    if (cancel.aborted) return finish({ kind: 'timeout' });
    cancel.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => finish({ kind: 'done', value }),
      (error: unknown) => finish({ kind: 'failed', error }),
    );
  });
}
