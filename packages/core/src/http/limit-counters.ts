/**
 * How often each limit was reached in this process, by error code (HTTP_HEADER_TIMEOUT,
 * LIMIT_CONNECTIONS, ...): the counter of docs/limits.md. A plain in-process tally until the
 * metrics vocabulary exists; `limitCounters.snapshot()` reads it.
 */
class LimitCounters {
  private readonly counts = new Map<string, number>();

  add(code: string, n = 1): void {
    this.counts.set(code, (this.counts.get(code) ?? 0) + n);
  }

  get(code: string): number {
    return this.counts.get(code) ?? 0;
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }
}

export const limitCounters = new LimitCounters();
