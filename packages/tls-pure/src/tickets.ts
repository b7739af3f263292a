import type { X509Certificate } from 'node:crypto';
import { X509Certificate as X509, createHash } from 'node:crypto';
import type { CryptoProvider } from './crypto/provider.js';
import { Reader, Writer, concat } from './bytes.js';

export interface TicketState {
  version: 0x0303 | 0x0304;
  suite: number;
  /** TLS 1.3 resumption PSK or TLS 1.2 master secret. */
  secret: Uint8Array;
  createdAt: number;
  ageAdd: number;
  alpn: string;
  sni: string;
  ems: boolean;
  clientCert: Uint8Array;
}

/**
 * Self-encrypted session tickets (RFC 5077 section 4's recommended form): a key name, a
 * ChaCha20-Poly1305 sealed state. The key is per process and per listener; losing it merely
 * means a full handshake.
 */
export class TicketKeys {
  readonly lifetimeS = 7200;
  private readonly name: Uint8Array;
  private readonly key: Uint8Array;
  /** Keys that only decrypt (rotation), by hex name; the encrypting one is `name`/`key`. */
  private readonly older = new Map<string, Uint8Array>();
  /**
   * `shared`: TlsSettings.setTicketKeys keys (nginx's 48/80-byte format), the first encrypting;
   * each key's ChaCha20-Poly1305 key is SHA-256 of its secret part, so every process given the
   * same bytes seals and opens the same tickets. Absent: a random per-process key.
   */
  constructor(private readonly p: CryptoProvider, shared?: readonly Buffer[]) {
    if (shared && shared.length > 0) {
      const [first, ...rest] = shared.map((k) => ({ name: k.subarray(0, 16), key: createHash('sha256').update(k.subarray(16)).digest() }));
      this.name = first!.name;
      this.key = first!.key;
      for (const k of rest) this.older.set(Buffer.from(k.name).toString('hex'), k.key);
    } else {
      this.name = p.random(16);
      this.key = p.random(32);
    }
  }

  seal(s: TicketState): Uint8Array {
    const w = new Writer().u16(s.version).u16(s.suite).vec8(s.secret).u32(Math.floor(s.createdAt / 1000)).u32(s.ageAdd)
      .vec8(Buffer.from(s.alpn, 'latin1')).vec8(Buffer.from(s.sni, 'ascii')).u8(s.ems ? 1 : 0).vec24(s.clientCert);
    const nonce = this.p.random(12);
    const ct = this.p.aead('chacha20-poly1305', this.key).seal(nonce, this.name, w.finish());
    return concat(this.name, nonce, ct);
  }

  /** The state in a ticket we issued, or undefined for anything else (never an error). */
  open(ticket: Uint8Array): TicketState | undefined {
    if (ticket.length < 16 + 12 + 16) return undefined;
    const name = ticket.subarray(0, 16);
    const key = Buffer.from(name).equals(Buffer.from(this.name)) ? this.key : this.older.get(Buffer.from(name).toString('hex'));
    if (!key) return undefined;
    const plain = this.p.aead('chacha20-poly1305', key).open(ticket.subarray(16, 28), name, ticket.subarray(28));
    if (!plain) return undefined;
    try {
      const r = new Reader(plain, 'ticket');
      const version = r.u16() as 0x0303 | 0x0304;
      const suite = r.u16();
      const secret = r.vec8();
      const createdAt = r.u32() * 1000;
      const ageAdd = r.u32();
      const alpn = Buffer.from(r.vec8()).toString('latin1');
      const sni = Buffer.from(r.vec8()).toString('ascii');
      const ems = r.u8() === 1;
      const clientCert = r.vec24();
      if (Date.now() - createdAt > this.lifetimeS * 1000) return undefined;
      return { version, suite, secret, createdAt, ageAdd, alpn, sni, ems, clientCert };
    } catch {
      return undefined;
    }
  }
}

export function certFromDer(der: Uint8Array): X509Certificate | undefined {
  if (der.length === 0) return undefined;
  try {
    return new X509(der);
  } catch {
    return undefined;
  }
}
