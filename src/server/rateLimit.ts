import type { RateLimit } from '../config/webConfig.js';

/**
 * The web config's rate_limit, as golang.org/x/time/rate does it for the exporter-toolkit: a
 * bucket of `burst` tokens, full at start, refilled one per `intervalMs`; a request takes a token
 * or is refused (429). A burst of 0 refuses everything, as in Go.
 */
export class TokenBucket {
  private tokens: number;
  private lastMs: number;

  constructor(
    readonly limit: RateLimit,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = limit.burst;
    this.lastMs = now();
  }

  /** Takes a token if there is one. */
  take(): boolean {
    const t = this.now();
    this.tokens = Math.min(this.limit.burst, this.tokens + Math.max(0, t - this.lastMs) / this.limit.intervalMs);
    this.lastMs = t;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
