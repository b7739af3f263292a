import { toHex } from './bytes.js';
import type { TicketState } from './tickets.js';

/**
 * The server side of TLS 1.2 session-ID resumption (RFC 5246 7.4.1.2, 7.3): a bounded LRU of
 * sessions by the 32-byte id the ServerHello gave them, for clients that do not take tickets.
 * Per acceptor, in this process (not shared across workers: a session resumed on another
 * worker is simply a full handshake).
 */
export class ServerSessionCache {
  private readonly map = new Map<string, TicketState>();

  /** `maxEntries` sessions at most (the oldest go first), each valid `lifetimeS` seconds. */
  constructor(readonly maxEntries = 10_000, readonly lifetimeS = 300) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError(`session cache size must be a positive integer, got ${maxEntries}`);
  }

  get size(): number {
    return this.map.size;
  }

  put(id: Uint8Array, state: TicketState): void {
    const key = toHex(id);
    this.map.delete(key);
    this.map.set(key, state);
    while (this.map.size > this.maxEntries) this.map.delete(this.map.keys().next().value!);
  }

  /** The session, if it is there and not expired. */
  get(id: Uint8Array, now = Date.now()): TicketState | undefined {
    const key = toHex(id);
    const s = this.map.get(key);
    if (!s) return undefined;
    if (now - s.createdAt > this.lifetimeS * 1000) {
      this.map.delete(key);
      return undefined;
    }
    return s;
  }
}
