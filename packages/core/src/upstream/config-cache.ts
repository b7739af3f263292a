import type { TlsClientOptions, TlsConnector } from '../tls/backend.js';
import { tlsBackend } from '../tls/registry.js';

/**
 * Compiled client TLS configurations (one backend connector per distinct option set), kept
 * in an LRU of `capacity` entries. Compiling is the expensive part on every backend (context
 * creation, trust store load), so peers sharing options share one connector. 0 disables caching.
 */
export class ConnectorConfigCache {
  private readonly entries = new Map<string, TlsConnector>();

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.entries.size;
  }

  /** The connector for `options`, compiled on a miss; `key` must identify `options` exactly. */
  get(key: string, options: TlsClientOptions): TlsConnector {
    if (this.capacity <= 0) return tlsBackend().createConnector(options);
    const hit = this.entries.get(key);
    if (hit) {
      // Refresh recency: Map iteration order is insertion order, so re-insert at the end.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const connector = tlsBackend().createConnector(options);
    this.entries.set(key, connector);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    return connector;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
