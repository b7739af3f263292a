import type { H1Connection } from './h1-client.js';
import type { H2Connection } from './h2-client.js';

export type UpstreamConnection = H1Connection | H2Connection;

/**
 * Upstream connections kept for reuse, keyed by `HttpPeer.reuseKey()`.
 *
 * HTTP/1.1: idle connections, at most `capacity` over all keys; the least recently parked one
 * is closed when the pool is full (Pingora's LRU). The most recently parked one is handed out
 * first (its TCP/TLS state is warmest). A connection that closes, or sends bytes, while parked
 * removes itself (H1Connection.onIdleLoss), so it is never handed out.
 *
 * HTTP/2: connections carrying streams are shared, not parked; they are listed per key while
 * they accept streams and leave on GOAWAY or close.
 */
export class ConnectionPool {
  private readonly idle = new Map<string, H1Connection[]>();
  /** Every parked H1 connection, oldest first (Set keeps insertion order). */
  private readonly lru = new Set<H1Connection>();
  private readonly h2 = new Map<string, H2Connection[]>();

  constructor(readonly capacity: number) {}

  /** Parked HTTP/1.1 connections. */
  get idleCount(): number {
    return this.lru.size;
  }

  get h2Count(): number {
    let n = 0;
    for (const list of this.h2.values()) n += list.length;
    return n;
  }

  takeH1(key: string): H1Connection | undefined {
    const stack = this.idle.get(key);
    if (stack === undefined) return undefined;
    const conn = stack.pop()!;
    if (stack.length === 0) this.idle.delete(key);
    this.lru.delete(conn);
    conn.onIdleLoss = undefined;
    stopIdleTimer(conn);
    return conn;
  }

  /** Parks a connection whose exchange finished cleanly; anything else is closed. */
  putH1(conn: H1Connection, idleTimeoutMs: number | undefined): void {
    if (!conn.reusable || this.capacity <= 0) {
      conn.destroy();
      return;
    }
    let stack = this.idle.get(conn.key);
    if (stack === undefined) this.idle.set(conn.key, (stack = []));
    stack.push(conn);
    this.lru.add(conn);
    conn.onIdleLoss = this.removeH1;
    if (idleTimeoutMs !== undefined && idleTimeoutMs > 0) {
      conn.idleTimer = setTimeout(this.evictH1, idleTimeoutMs, conn);
    }
    if (this.lru.size > this.capacity) {
      const oldest = this.lru.values().next().value as H1Connection;
      this.evictH1(oldest);
    }
  }

  /** A shared HTTP/2 connection to `key` that can take another stream. */
  findH2(key: string): H2Connection | undefined {
    const list = this.h2.get(key);
    if (list === undefined) return undefined;
    for (const conn of list) {
      if (conn.hasCapacity) {
        stopIdleTimer(conn);
        return conn;
      }
    }
    return undefined;
  }

  addH2(conn: H2Connection, idleTimeoutMs: number | undefined): void {
    let list = this.h2.get(conn.key);
    if (list === undefined) this.h2.set(conn.key, (list = []));
    list.push(conn);
    conn.onGone = this.removeH2;
    conn.onIdle = (c) => {
      if (idleTimeoutMs !== undefined && idleTimeoutMs > 0) {
        if (c.idleTimer) clearTimeout(c.idleTimer);
        c.idleTimer = setTimeout(() => c.close(), idleTimeoutMs);
      }
    };
  }

  /** Closes everything parked or shared. */
  close(): void {
    for (const conn of [...this.lru]) this.evictH1(conn);
    for (const list of [...this.h2.values()]) for (const conn of [...list]) conn.close();
    this.h2.clear();
  }

  private readonly removeH1 = (conn: H1Connection): void => {
    if (!this.lru.delete(conn)) return;
    stopIdleTimer(conn);
    const stack = this.idle.get(conn.key);
    if (stack) {
      const i = stack.indexOf(conn);
      if (i >= 0) stack.splice(i, 1);
      if (stack.length === 0) this.idle.delete(conn.key);
    }
  };

  private readonly evictH1 = (conn: H1Connection): void => {
    this.removeH1(conn);
    conn.onIdleLoss = undefined;
    conn.destroy();
  };

  private readonly removeH2 = (conn: H2Connection): void => {
    const list = this.h2.get(conn.key);
    if (!list) return;
    const i = list.indexOf(conn);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.h2.delete(conn.key);
  };
}

function stopIdleTimer(conn: UpstreamConnection): void {
  if (conn.idleTimer) {
    clearTimeout(conn.idleTimer);
    conn.idleTimer = undefined;
  }
}
