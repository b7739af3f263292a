import type { CryptoProvider, HashName } from './crypto/provider.js';
import { concat } from './bytes.js';
import { HandshakeType, encodeHandshake } from './messages/handshake.js';

/**
 * The handshake transcript (RFC 8446 4.4.1). Messages are kept whole, so the hash can be taken
 * with whichever algorithm the cipher suite turns out to use, and replaced by message_hash
 * after a HelloRetryRequest.
 */
export class Transcript {
  private parts: Uint8Array[] = [];

  add(raw: Uint8Array): void {
    this.parts.push(raw);
  }

  hash(p: CryptoProvider, alg: HashName): Uint8Array {
    return p.hash(alg, this.bytes());
  }

  bytes(): Uint8Array {
    if (this.parts.length !== 1) this.parts = [concat(...this.parts)];
    return this.parts[0] ?? new Uint8Array(0);
  }

  /** RFC 8446 4.4.1: after HelloRetryRequest, ClientHello1 is replaced by message_hash(Hash(ClientHello1)). */
  replaceWithMessageHash(p: CryptoProvider, alg: HashName): void {
    const h = this.hash(p, alg);
    this.parts = [encodeHandshake(HandshakeType.message_hash, h)];
  }
}
