import type { ActiveAlert, PrometheusServer } from './prometheusServer.js';

/**
 * One episode of one alert (alertname plus its label set), from becoming pending to resolving.
 * Times are Unix milliseconds: `activeAtMs` from Prometheus (when it became pending), the
 * `*SeenMs` from this process's clock at the poll that first saw the change (within one poll
 * interval of it).
 */
export interface AlertEpisode {
  alertname: string;
  labels: Readonly<Record<string, string>>;
  activeAtMs: number;
  firstSeenMs: number;
  /** First poll that saw it firing; undefined while it never fired. */
  firingSeenMs: number | undefined;
  /** The alert's value (`$value`) at the first poll that saw it firing. */
  firingValue: string | undefined;
  /** Its value at the last poll that saw it. */
  lastValue: string;
  /** First poll that no longer saw it; undefined while it is active. */
  resolvedSeenMs: number | undefined;
}

/**
 * Polls a Prometheus server's /api/v1/alerts every `intervalMs` and keeps the history of every
 * alert seen, pending or firing, until stop(). Poll failures are counted, not thrown.
 */
export class AlertTimeline {
  private readonly all: AlertEpisode[] = [];
  private readonly active = new Map<string, AlertEpisode>();
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  pollFailures = 0;

  constructor(
    private readonly prometheus: PrometheusServer,
    private readonly intervalMs = 500,
  ) {}

  start(): void {
    const tick = (): void => {
      this.polling = this.poll().finally(() => {
        if (this.timer !== undefined) this.timer = setTimeout(tick, this.intervalMs);
      });
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.polling;
  }

  /** Every episode seen so far that `match` accepts, in the order first seen. */
  episodes(match: (e: AlertEpisode) => boolean = () => true): AlertEpisode[] {
    return this.all.filter(match);
  }

  /**
   * The first episode `match` accepts, waiting up to `timeoutMs` for one; undefined if none came.
   * Waiting for a state is the caller's predicate, e.g. `(e) => e.firingSeenMs !== undefined`.
   */
  async waitFor(match: (e: AlertEpisode) => boolean, timeoutMs: number): Promise<AlertEpisode | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.all.find(match);
      if (found || Date.now() > deadline) return found;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  private async poll(): Promise<void> {
    let alerts: ActiveAlert[];
    try {
      alerts = await this.prometheus.alerts();
    } catch {
      this.pollFailures++;
      return;
    }
    const now = Date.now();
    const seen = new Set<string>();
    for (const a of alerts) {
      const activeAtMs = Date.parse(a.activeAt);
      const key = `${JSON.stringify(Object.entries(a.labels).sort(([x], [y]) => x.localeCompare(y)))}@${activeAtMs}`;
      seen.add(key);
      let episode = this.active.get(key);
      if (!episode) {
        episode = { alertname: a.labels['alertname'] ?? '', labels: a.labels, activeAtMs, firstSeenMs: now, firingSeenMs: undefined, firingValue: undefined, lastValue: a.value, resolvedSeenMs: undefined };
        this.active.set(key, episode);
        this.all.push(episode);
      }
      episode.lastValue = a.value;
      if (a.state === 'firing' && episode.firingSeenMs === undefined) {
        episode.firingSeenMs = now;
        episode.firingValue = a.value;
      }
    }
    for (const [key, episode] of this.active) {
      if (!seen.has(key)) {
        episode.resolvedSeenMs = now;
        this.active.delete(key);
      }
    }
  }
}
