import { metrics } from '../metrics/metrics.js';

/**
 * How often each limit was reached in this process, by error code (HTTP_HEADER_TIMEOUT,
 * LIMIT_CONNECTIONS, ...): the counter of docs/limits.md, an in-process tally
 * (`limitCounters.snapshot()`) also exported as `proxy_limits_reached_total{code}` when metrics are on.
 */
class LimitCounters {
  private readonly counts = new Map<string, number>();

  add(code: string, n = 1): void {
    this.counts.set(code, (this.counts.get(code) ?? 0) + n);
    metrics.limitReached(code, n);
  }

  get(code: string): number {
    return this.counts.get(code) ?? 0;
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }
}

export const limitCounters = new LimitCounters();
