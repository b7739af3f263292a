import type { X509Certificate } from 'node:crypto';
import { X509Certificate as X509 } from 'node:crypto';
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
  constructor(private readonly p: CryptoProvider) {
    this.name = p.random(16);
    this.key = p.random(32);
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
    if (!Buffer.from(ticket.subarray(0, 16)).equals(Buffer.from(this.name))) return undefined;
    const plain = this.p.aead('chacha20-poly1305', this.key).open(ticket.subarray(16, 28), this.name, ticket.subarray(28));
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
