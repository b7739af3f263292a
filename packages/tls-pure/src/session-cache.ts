import type { SessionIdStore } from '@proxy/core';
import { Reader, Writer, toHex } from './bytes.js';
import type { TicketState } from './tickets.js';

/** What the TLS 1.2 server asks of a session-ID cache: store a session, and look one up at once. */
export interface SessionIdCache {
  put(id: Uint8Array, state: TicketState): void;
  get(id: Uint8Array, now?: number): TicketState | undefined;
}

/**
 * The server side of TLS 1.2 session-ID resumption (RFC 5246 7.4.1.2, 7.3): a bounded LRU of
 * sessions by the 32-byte id the ServerHello gave them, for clients that do not take tickets.
 * Per acceptor, in this process; SharedSessionIdCache is the one shared by the workers.
 */
export class ServerSessionCache implements SessionIdCache {
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

/**
 * The session-ID cache in a SessionIdStore (TlsSettings.setSessionIdCache(n, store), such as the
 * one the primary of a multi-worker server shares): sessions go to the store serialized, and are
 * looked up with its synchronous `peek` (this handshake cannot wait), which answers from the copy
 * the store keeps in this process. A session another worker stored a moment ago may not have
 * arrived yet: then a full handshake, as with any miss.
 */
export class SharedSessionIdCache implements SessionIdCache {
  constructor(private readonly store: SessionIdStore & { peek(id: Buffer): Buffer | undefined }, readonly lifetimeS = 300) {
    // The first peek starts the copy, before the first client comes back.
    store.peek(Buffer.alloc(32));
  }

  put(id: Uint8Array, state: TicketState): void {
    this.store.set(Buffer.from(id), encodeSession(state));
  }

  get(id: Uint8Array, now = Date.now()): TicketState | undefined {
    const raw = this.store.peek(Buffer.from(id));
    const s = raw && decodeSession(raw);
    if (!s || now - s.createdAt > this.lifetimeS * 1000) return undefined;
    return s;
  }
}

/** A TLS 1.2 session as the store keeps it (the master secret in the clear: the store must keep it in memory only). */
export function encodeSession(s: TicketState): Buffer {
  const w = new Writer().u16(s.version).u16(s.suite).vec8(s.secret).u32(Math.floor(s.createdAt / 1000)).u32(s.ageAdd)
    .vec8(Buffer.from(s.alpn, 'latin1')).vec8(Buffer.from(s.sni, 'ascii')).u8(s.ems ? 1 : 0).vec24(s.clientCert);
  return Buffer.from(w.finish());
}

/** The session encodeSession wrote; undefined for anything else (never an error). */
export function decodeSession(b: Uint8Array): TicketState | undefined {
  try {
    const r = new Reader(b, 'session');
    const version = r.u16();
    if (version !== 0x0303) return undefined;
    return {
      version, suite: r.u16(), secret: r.vec8(), createdAt: r.u32() * 1000, ageAdd: r.u32(),
      alpn: Buffer.from(r.vec8()).toString('latin1'), sni: Buffer.from(r.vec8()).toString('ascii'), ems: r.u8() === 1, clientCert: r.vec24(),
    };
  } catch {
    return undefined;
  }
}
