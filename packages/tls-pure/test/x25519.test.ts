import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { x25519 } from '@noble/curves/ed25519.js';
import { x25519PublicKey, x25519PublicKeyFixedBase, x25519ScalarMult } from '../src/crypto/x25519.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));

describe('x25519 (float64 ladder)', () => {
  it('matches the RFC 7748 section 5.2 vectors', () => {
    expect(hex(x25519ScalarMult(
      bytes('a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4'),
      bytes('e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c'),
    ))).toBe('c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552');
    expect(hex(x25519ScalarMult(
      bytes('4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d'),
      bytes('e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493'),
    ))).toBe('95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957');
  });

  it('matches the RFC 7748 section 6.1 Diffie-Hellman example', () => {
    const a = bytes('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
    const b = bytes('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb');
    expect(hex(x25519PublicKey(a))).toBe('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
    expect(hex(x25519PublicKey(b))).toBe('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
    expect(hex(x25519PublicKeyFixedBase(a))).toBe('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
    expect(hex(x25519PublicKeyFixedBase(b))).toBe('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
    expect(hex(x25519ScalarMult(a, x25519PublicKey(b)))).toBe('4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742');
  });

  it('agrees with @noble/curves on random and edge-case inputs', () => {
    const edges = [new Uint8Array(32).fill(0xff), new Uint8Array(32).fill(0x7f), bytes('edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f')];
    for (let i = 0; i < 200; i++) {
      const k = new Uint8Array(randomBytes(32));
      const u = i < edges.length ? edges[i]! : new Uint8Array(randomBytes(32));
      let want: string;
      try {
        want = hex(x25519.getSharedSecret(k, u));
      } catch {
        want = '00'.repeat(32); // @noble refuses an all-zero result (u = p is u = 0); the caller checks for it
      }
      expect(hex(x25519ScalarMult(k, u))).toBe(want);
      expect(hex(x25519PublicKey(k))).toBe(hex(x25519.getPublicKey(k)));
      expect(hex(x25519PublicKeyFixedBase(k))).toBe(hex(x25519.getPublicKey(k)));
    }
  });
});
