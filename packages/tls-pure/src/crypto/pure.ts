import type { KeyObject } from 'node:crypto';
import { randomBytes } from '@noble/hashes/utils.js';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { hmac } from '@noble/hashes/hmac.js';
import { gcm } from '@noble/ciphers/aes.js';
import { chacha20 } from '@noble/ciphers/chacha.js';
import { Poly1305 } from './poly1305.js';
import { x25519ScalarMult } from './x25519.js';
import { x25519, ed25519 } from '@noble/curves/ed25519.js';
import { p256, p384 } from '@noble/curves/nist.js';
import forge from 'node-forge';
import type { Aead, CryptoProvider, GroupName, HashName, KeyExchange } from './provider.js';
import { keyKind } from './provider.js';
import { SCHEMES } from './schemes.js';

const HASHES = { sha256, sha384, sha512 } as const;

// Fixed-base multiplications (ECDSA signing, P-256 and x25519 key generation) walk a table of
// base-point multiples, one point addition per window; @noble's default window is 6 bits (64
// additions for its 384-bit blinded scalars), 8 bits takes 49 and makes signing and keygen about
// 15-25% cheaper. The tables (about 6k points each) are built lazily on first use, ~0.1-0.2 s
// once per process; wider windows cost seconds to build for little more.
p256.Point.BASE.precompute(8);
ed25519.Point.BASE.precompute(8); // x25519 public keys are computed on the ed25519 base point

function b64u(s: string | undefined): Uint8Array {
  return new Uint8Array(Buffer.from(s ?? '', 'base64url'));
}

type Prepared =
  | { kind: 'ec-p256' | 'ec-p384'; secret?: Uint8Array; public: Uint8Array }
  | { kind: 'ed25519'; secret?: Uint8Array; public: Uint8Array }
  | { kind: 'rsa'; priv?: forge.pki.rsa.PrivateKey; pub: forge.pki.rsa.PublicKey };

/** Converts a node KeyObject once into the form @noble / node-forge use (only the encoding; no crypto). */
const prepared = new WeakMap<KeyObject, Prepared>();
function prepare(key: KeyObject): Prepared {
  const hit = prepared.get(key);
  if (hit) return hit;
  const kind = keyKind(key);
  const jwk = key.export({ format: 'jwk' });
  let p: Prepared;
  if (kind === 'ec-p256' || kind === 'ec-p384') {
    const pub = new Uint8Array([4, ...b64u(jwk.x), ...b64u(jwk.y)]);
    p = { kind, public: pub, ...(jwk.d ? { secret: b64u(jwk.d) } : {}) };
  } else if (kind === 'ed25519') {
    p = { kind, public: b64u(jwk.x), ...(jwk.d ? { secret: b64u(jwk.d) } : {}) };
  } else if (kind === 'rsa') {
    const big = (s: string | undefined) => new forge.jsbn.BigInteger(Buffer.from(s ?? '', 'base64url').toString('hex'), 16);
    const pub = forge.pki.setRsaPublicKey(big(jwk.n), big(jwk.e));
    if (jwk.d) {
      const priv = forge.pki.setRsaPrivateKey(big(jwk.n), big(jwk.e), big(jwk.d), big(jwk.p), big(jwk.q), big(jwk.dp), big(jwk.dq), big(jwk.qi));
      p = { kind, pub, priv };
    } else p = { kind, pub };
  } else {
    throw new Error(`unsupported key type ${key.asymmetricKeyType}`);
  }
  prepared.set(key, p);
  return p;
}

const forgeMd = (h: HashName): forge.md.MessageDigest =>
  h === 'sha256' ? forge.md.sha256.create() : h === 'sha384' ? forge.md.sha384.create() : forge.md.sha512.create();
const binary = (b: Uint8Array): string => Buffer.from(b).toString('binary');
const fromBinary = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'binary'));
const HLEN: Record<HashName, number> = { sha256: 32, sha384: 48, sha512: 64 };

class GcmAead implements Aead {
  constructor(private readonly key: Uint8Array) {}
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    return gcm(this.key, nonce, aad).encrypt(plaintext);
  }
  open(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array | null {
    try {
      return gcm(this.key, nonce, aad).decrypt(ciphertext);
    } catch {
      return null;
    }
  }
}

/**
 * RFC 8439 section 2.8 AEAD: @noble's ChaCha20 stream with our float64 Poly1305 (about three
 * times @noble's, which dominated the record cost).
 */
export class ChaCha20Poly1305Aead implements Aead {
  constructor(private readonly key: Uint8Array) {}

  private tag(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    const otk = chacha20(this.key, nonce, new Uint8Array(32), undefined, 0);
    const lengths = new Uint8Array(16);
    const v = new DataView(lengths.buffer);
    v.setUint32(0, aad.length, true);
    v.setUint32(8, ciphertext.length, true);
    return new Poly1305(otk).update(aad).pad16().update(ciphertext).pad16().update(lengths).digest();
  }

  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    const out = new Uint8Array(plaintext.length + 16);
    const ct = out.subarray(0, plaintext.length);
    chacha20(this.key, nonce, plaintext, ct, 1);
    out.set(this.tag(nonce, aad, ct), plaintext.length);
    return out;
  }

  open(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array | null {
    if (ciphertext.length < 16) return null;
    const ct = ciphertext.subarray(0, ciphertext.length - 16);
    const expected = this.tag(nonce, aad, ct);
    const got = ciphertext.subarray(ciphertext.length - 16);
    let diff = 0;
    for (let i = 0; i < 16; i++) diff |= expected[i]! ^ got[i]!;
    if (diff !== 0) return null;
    return chacha20(this.key, nonce, ct, new Uint8Array(ct.length), 1);
  }
}

function ecdhe(group: GroupName): KeyExchange {
  if (group === 'x25519') {
    const sk = x25519.utils.randomSecretKey();
    return {
      group,
      // Fixed-base: @noble maps it onto ed25519's precomputed base point, cheaper than a ladder.
      publicKey: x25519.getPublicKey(sk),
      agree(peer) {
        if (peer.length !== 32) throw new Error('bad x25519 share length');
        // Variable-base: our float64 ladder, about twice @noble's BigInt one (src/crypto/x25519.ts).
        const s = x25519ScalarMult(sk, peer);
        // RFC 8446 7.4.2: an all-zero x25519 result must be rejected.
        if (s.every((b) => b === 0)) throw new Error('x25519 shared secret is zero');
        return s;
      },
    };
  }
  const curve = group === 'secp256r1' ? p256 : p384;
  const sk = curve.utils.randomSecretKey();
  return {
    group,
    publicKey: curve.getPublicKey(sk, false),
    agree(peer) {
      // RFC 8446 4.2.8.2: only the uncompressed form is allowed; noble validates the point.
      const len = group === 'secp256r1' ? 65 : 97;
      if (peer.length !== len || peer[0] !== 4) throw new Error('bad ECDH share encoding');
      return curve.getSharedSecret(sk, peer, true).subarray(1);
    },
  };
}

/** Pure-JavaScript cryptography: @noble/* for hashes, AEADs, ECDHE, ECDSA and Ed25519; node-forge for RSA. */
export const pureCryptoProvider: CryptoProvider = {
  name: 'pure',
  random: (n) => randomBytes(n),
  hash: (alg, data) => HASHES[alg](data),
  hmac: (alg, key, data) => hmac(HASHES[alg], key, data),
  aead: (alg, key) => (alg === 'chacha20-poly1305' ? new ChaCha20Poly1305Aead(key) : new GcmAead(key)),
  keyExchange: ecdhe,
  sign(key, scheme, message) {
    const info = SCHEMES.get(scheme);
    const k = prepare(key);
    if (!info) throw new Error(`unknown signature scheme ${scheme}`);
    if (k.kind === 'ec-p256' || k.kind === 'ec-p384') {
      const curve = k.kind === 'ec-p256' ? p256 : p384;
      return curve.sign(HASHES[info.hash](message), k.secret!, { prehash: false, format: 'der', lowS: false });
    }
    if (k.kind === 'ed25519') return ed25519.sign(message, k.secret!);
    if (k.kind !== 'rsa') throw new Error('unsupported key');
    const md = forgeMd(info.hash);
    md.update(binary(message));
    if (info.algo === 'pss') {
      const pss = forge.pss.create({ md: forgeMd(info.hash), mgf: forge.mgf.mgf1.create(forgeMd(info.hash)), saltLength: HLEN[info.hash] });
      return fromBinary(k.priv!.sign(md, pss));
    }
    return fromBinary(k.priv!.sign(md));
  },
  verify(key, scheme, message, signature) {
    const info = SCHEMES.get(scheme);
    if (!info) return false;
    try {
      const k = prepare(key);
      if (k.kind === 'ec-p256' || k.kind === 'ec-p384') {
        if (info.algo !== 'ecdsa') return false;
        const curve = k.kind === 'ec-p256' ? p256 : p384;
        return curve.verify(signature, HASHES[info.hash](message), k.public, { prehash: false, format: 'der', lowS: false });
      }
      if (k.kind === 'ed25519') return info.algo === 'ed25519' && ed25519.verify(signature, message, k.public);
      if (k.kind !== 'rsa' || (info.algo !== 'pss' && info.algo !== 'pkcs1')) return false;
      const digest = HASHES[info.hash](message);
      if (info.algo === 'pss') {
        const pss = forge.pss.create({ md: forgeMd(info.hash), mgf: forge.mgf.mgf1.create(forgeMd(info.hash)), saltLength: HLEN[info.hash] });
        return k.pub.verify(binary(digest), binary(signature), pss);
      }
      return k.pub.verify(binary(digest), binary(signature), 'RSASSA-PKCS1-V1_5');
    } catch {
      return false;
    }
  },
};
