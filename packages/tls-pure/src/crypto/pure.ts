import type { KeyObject } from 'node:crypto';
import { randomBytes } from '@noble/hashes/utils.js';
import { sha224, sha256 as nobleSha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { hmac } from '@noble/hashes/hmac.js';
import { unsafe as aesUnsafe } from '@noble/ciphers/aes.js';
import { GHASH } from '@noble/ciphers/_polyval.js';
import { ChaCha20 } from './chacha20.js';
import { Poly1305 } from './poly1305.js';
import { hmacSha256, sha256 } from './sha256.js';
import { x25519PublicKeyFixedBase, x25519ScalarMult } from './x25519.js';
import { p256MultiplyBase, p256SignDer } from './p256.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256, p384 } from '@noble/curves/nist.js';
import type { Aead, CryptoProvider, GroupName, HashName, KeyExchange } from './provider.js';
import { keyKind } from './provider.js';
import { SCHEMES, type SignatureHash } from './schemes.js';
import type { RsaHash } from './rsa.js';
import { RsaPrivateKey, bytesToBigInt, emsaPkcs1v15Encode, emsaPssEncode, emsaPssVerify, rsaPublicOpen } from './rsa.js';

const HASHES = { sha256: nobleSha256, sha384, sha512 } as const;
// SHA-256 (the hash of the common suites) from our lean implementation: a handshake's ~20 HMACs
// and its transcript hashes are short inputs, where @noble's per-call setup costs more than the
// compression itself.
const digest = (alg: HashName, data: Uint8Array): Uint8Array => (alg === 'sha256' ? sha256(data) : HASHES[alg](data));
/** The digest a signature scheme signs: SHA-224 exists only for TLS 1.2 ECDSA. */
const signedDigest = (alg: SignatureHash, data: Uint8Array): Uint8Array => (alg === 'sha224' ? sha224(data) : digest(alg, data));

// What still runs on @noble's fixed-base tables: P-384 signing and key generation, Ed25519
// signing, and the u1*G half of ECDSA verification. P-256 signing and key generation and X25519
// key generation have their own float64 tables (p256.ts, ed25519-base.ts). @noble's default
// window is 6 bits (64 additions for its 384-bit blinded scalars); 8 bits takes 49 and makes
// these 15-25% cheaper. The tables are built lazily on first use.
p256.Point.BASE.precompute(8);
p384.Point.BASE.precompute(8);
ed25519.Point.BASE.precompute(8);

function b64u(s: string | undefined): Uint8Array {
  return new Uint8Array(Buffer.from(s ?? '', 'base64url'));
}

type Prepared =
  | { kind: 'ec-p256' | 'ec-p384'; secret?: Uint8Array; public: Uint8Array }
  | { kind: 'ed25519'; secret?: Uint8Array; public: Uint8Array }
  | { kind: 'rsa'; priv?: RsaPrivateKey; n: bigint; e: bigint };

/** Converts a node KeyObject once into the numbers and bytes our signers take (only the encoding; no crypto). */
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
    const big = (s: string | undefined) => bytesToBigInt(b64u(s));
    const n = big(jwk.n);
    const e = big(jwk.e);
    // Two-prime keys only: a multi-prime key (RFC 8017 3.2, jwk.oth) has no p/q/dp/dq/qi to use alone.
    if (jwk.d && (!jwk.p || !jwk.q || !jwk.dp || !jwk.dq || !jwk.qi || jwk.oth)) throw new Error('unsupported RSA private key: not a two-prime CRT key');
    p = jwk.d
      ? { kind, n, e, priv: new RsaPrivateKey({ n, e, d: big(jwk.d), p: big(jwk.p), q: big(jwk.q), dp: big(jwk.dp), dq: big(jwk.dq), qi: big(jwk.qi) }) }
      : { kind, n, e };
  } else {
    throw new Error(`unsupported key type ${key.asymmetricKeyType}`);
  }
  prepared.set(key, p);
  return p;
}

const HASH_OF: Record<HashName, RsaHash> = {
  sha256: { hash: (d) => digest('sha256', d), length: 32 },
  sha384: { hash: (d) => digest('sha384', d), length: 48 },
  sha512: { hash: (d) => digest('sha512', d), length: 64 },
};

/** RSASSA-PSS (RFC 8017 8.1, salt the hash's length as RFC 8446 4.2.3 requires) or RSASSA-PKCS1-v1_5 (8.2) with our RSA (rsa.ts). */
function rsaSign(key: RsaPrivateKey, algo: 'pss' | 'pkcs1', hash: HashName, message: Uint8Array, random: (n: number) => Uint8Array): Uint8Array {
  const h = HASH_OF[hash];
  const mHash = h.hash(message);
  const em = algo === 'pss' ? emsaPssEncode(h, mHash, random(h.length), key.modBits - 1) : emsaPkcs1v15Encode(mHash, key.size);
  return key.signEncoded(em, random);
}

function rsaVerify(n: bigint, e: bigint, algo: 'pss' | 'pkcs1', hash: HashName, message: Uint8Array, signature: Uint8Array): boolean {
  const opened = rsaPublicOpen(n, e, signature);
  if (!opened) return false;
  const h = HASH_OF[hash];
  const mHash = h.hash(message);
  if (algo === 'pkcs1') {
    const expected = emsaPkcs1v15Encode(mHash, opened.length);
    let diff = 0;
    for (let i = 0; i < opened.length; i++) diff |= opened[i]! ^ expected[i]!;
    return diff === 0;
  }
  // RFC 8017 8.1.2: EM is emLen = ceil((modBits - 1) / 8) bytes, one fewer than k when modBits - 1 is a multiple of 8.
  const modBits = n.toString(2).length;
  const emLen = Math.ceil((modBits - 1) / 8);
  if (emLen < opened.length && opened[0] !== 0) return false;
  return emsaPssVerify(h, mHash, opened.subarray(opened.length - emLen), modBits - 1, h.length);
}

/** GHASH whose key table is built once and reused for every record (reset between messages). */
class ReusableGhash extends GHASH {
  reset(): this {
    this.s0 = this.s1 = this.s2 = this.s3 = 0;
    this.finished = false;
    return this;
  }
}

const ZERO_BLOCK = new Uint8Array(16);

function writeLe32(out: Uint8Array, i: number, v: number): void {
  out[i] = v & 0xff;
  out[i + 1] = (v >>> 8) & 0xff;
  out[i + 2] = (v >>> 16) & 0xff;
  out[i + 3] = v >>> 24;
}
const EMPTY = new Uint8Array(0);

/**
 * The buffer of a sealed record, prefix || body || tag, with plaintext || suffix copied into the
 * body for encryption in place. The body starts at a 4-byte-aligned offset of its ArrayBuffer,
 * since @noble's ciphers read 32-bit words (and copy unaligned input first).
 */
function recordLayout(prefix: Uint8Array, plaintext: Uint8Array, suffix: Uint8Array): { record: Uint8Array; body: Uint8Array } {
  const pad = (4 - (prefix.length % 4)) % 4;
  const n = plaintext.length + suffix.length;
  const record = new Uint8Array(pad + prefix.length + n + 16).subarray(pad);
  record.set(prefix);
  const body = record.subarray(prefix.length, prefix.length + n);
  body.set(plaintext);
  body.set(suffix, plaintext.length);
  return { record, body };
}
/**
 * recordLayout's buffer without the plaintext copied in: prefix || body (n bytes, 4-byte
 * aligned) || tag, for ciphers that read the plaintext where it is. Not zero-filled
 * (Buffer.allocUnsafe): every byte of the record is written before it leaves.
 */
function recordBuffer(prefix: Uint8Array, n: number): { record: Uint8Array; body: Uint8Array } {
  // Small records come from node's Buffer pool (no ArrayBuffer of their own), large ones not.
  const all = Buffer.allocUnsafe(3 + prefix.length + n + 16);
  const pad = (4 - ((all.byteOffset + prefix.length) % 4)) % 4;
  const record = new Uint8Array(all.buffer, all.byteOffset + pad, prefix.length + n + 16);
  record.set(prefix);
  return { record, body: record.subarray(prefix.length, prefix.length + n) };
}
// A copy when unaligned: @noble's AES core reads 32-bit words. `new Uint8Array(b)`, not `b.slice()`,
// which is a view for node Buffers.
const aligned = (b: Uint8Array): Uint8Array => (b.byteOffset % 4 === 0 ? b : new Uint8Array(b));
/** Bytes after which a key's GHASH table is rebuilt with 8-bit windows (bulk traffic). */
const GHASH_WIDE_AFTER = 64 * 1024;

/**
 * AES-GCM (NIST SP 800-38D) from @noble/ciphers' AES core and GHASH, keyed once. @noble's
 * `gcm(key, nonce, aad)` expands the AES key, encrypts the hash key and builds a GHASH table on
 * every call, i.e. per record: that was ~0.4 ms of a handshake and most of the bulk cost. Here
 * the expanded key and hash key live as long as the traffic key; the GHASH table starts small
 * (2-bit windows, cheap to build for handshake keys that protect a few records) and is rebuilt
 * with 8-bit windows once the key has carried 64 KiB. Checked against node:crypto in
 * test/aead.test.ts.
 */
class GcmAead implements Aead {
  private readonly xk: Uint32Array;
  private readonly hashKey: Uint8Array;
  private ghash: ReusableGhash;
  private bytes = 0;
  private wide = false;

  constructor(key: Uint8Array) {
    this.xk = aesUnsafe.expandKeyLE(new Uint8Array(key)); // a copy: keys may be unaligned views
    this.hashKey = aesUnsafe.ctr32(this.xk, false, new Uint8Array(16), ZERO_BLOCK); // H = E_K(0^128)
    this.ghash = new ReusableGhash(this.hashKey, 1024);
  }

  private tag(j0: Uint8Array, aad: Uint8Array, ct: Uint8Array): Uint8Array {
    this.bytes += ct.length;
    if (!this.wide && this.bytes > GHASH_WIDE_AFTER) {
      this.wide = true;
      this.ghash = new ReusableGhash(this.hashKey, 1 << 20);
    }
    const lengths = new Uint8Array(16);
    const v = new DataView(lengths.buffer);
    v.setUint32(4, aad.length * 8, false); // 64-bit bit lengths; records are far below 2^29 bytes
    v.setUint32(12, ct.length * 8, false);
    const out = new Uint8Array(16);
    this.ghash.reset().update(aad).update(ct).update(lengths).digestInto(out);
    // E_K(J0) masks the hash; ctr32 advances j0 to inc32(J0), the first payload counter.
    const mask = aesUnsafe.ctr32(this.xk, false, j0, ZERO_BLOCK);
    for (let i = 0; i < 16; i++) out[i]! ^= mask[i]!;
    return out;
  }

  private j0(nonce: Uint8Array): Uint8Array {
    if (nonce.length !== 12) throw new Error('aes-gcm: 12-byte nonce expected');
    const j = new Uint8Array(16);
    j.set(nonce);
    j[15] = 1;
    return j;
  }

  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    return this.sealRecord(nonce, aad, EMPTY, plaintext, EMPTY);
  }

  sealRecord(nonce: Uint8Array, aad: Uint8Array, prefix: Uint8Array, plaintext: Uint8Array, suffix: Uint8Array): Uint8Array {
    const j = this.j0(nonce);
    const { record, body } = recordLayout(prefix, plaintext, suffix);
    // The tag's mask uses counter J0, the payload J0+1.. : encrypt with a copy advanced by one.
    const ctr = j.slice();
    ctr[15] = 2;
    aesUnsafe.ctr32(this.xk, false, ctr, body, body);
    record.set(this.tag(j, aad, body), prefix.length + body.length);
    return record;
  }

  open(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array | null {
    if (ciphertext.length < 16) return null;
    const j = this.j0(nonce);
    const ct = aligned(ciphertext.subarray(0, ciphertext.length - 16));
    const expected = this.tag(j, aad, ct);
    const got = ciphertext.subarray(ciphertext.length - 16);
    let diff = 0;
    for (let i = 0; i < 16; i++) diff |= expected[i]! ^ got[i]!;
    if (diff !== 0) return null;
    return aesUnsafe.ctr32(this.xk, false, j, ct); // j is inc32(J0) after tag()
  }
}

/**
 * RFC 8439 section 2.8 AEAD: our ChaCha20 keyed once per traffic key (chacha20.ts), with our
 * float64 Poly1305 (about three times @noble's, which dominated the record cost). A record is
 * encrypted from the caller's plaintext straight into the record buffer.
 */
export class ChaCha20Poly1305Aead implements Aead {
  private readonly cipher: ChaCha20;
  /** Per-record scratch, reused: the one-time key, the lengths block and the MAC's state. */
  private readonly oneTimeKey = new Uint8Array(32);
  private readonly lengths = new Uint8Array(16);
  private readonly mac: Poly1305;

  constructor(key: Uint8Array) {
    this.cipher = new ChaCha20(key);
    this.mac = new Poly1305(this.oneTimeKey);
  }

  private tag(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    // RFC 8439 2.8: le64(aad length) || le64(ciphertext length); records are far below 2^32 bytes.
    const l = this.lengths;
    writeLe32(l, 0, aad.length);
    writeLe32(l, 8, ciphertext.length);
    this.cipher.polyKey(nonce, this.oneTimeKey);
    const tag = this.mac.reset(this.oneTimeKey).update(aad).pad16().update(ciphertext).pad16().update(l).digest();
    this.oneTimeKey.fill(0);
    return tag;
  }

  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    return this.sealRecord(nonce, aad, EMPTY, plaintext, EMPTY);
  }

  sealRecord(nonce: Uint8Array, aad: Uint8Array, prefix: Uint8Array, plaintext: Uint8Array, suffix: Uint8Array): Uint8Array {
    const { record, body } = recordBuffer(prefix, plaintext.length + suffix.length);
    // plaintext || suffix is one stream: the plaintext's whole blocks straight from the caller's
    // buffer, then the last partial block and the suffix copied in and encrypted in place.
    const whole = plaintext.length - (plaintext.length % 64);
    this.cipher.xor(nonce, 1, plaintext.subarray(0, whole), body);
    const tail = body.subarray(whole);
    tail.set(plaintext.subarray(whole));
    tail.set(suffix, plaintext.length - whole);
    this.cipher.xor(nonce, 1 + whole / 64, tail, tail);
    record.set(this.tag(nonce, aad, body), prefix.length + body.length);
    return record;
  }

  open(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array | null {
    if (ciphertext.length < 16) return null;
    const ct = ciphertext.subarray(0, ciphertext.length - 16);
    const expected = this.tag(nonce, aad, ct);
    const got = ciphertext.subarray(ciphertext.length - 16);
    let diff = 0;
    for (let i = 0; i < 16; i++) diff |= expected[i]! ^ got[i]!;
    if (diff !== 0) return null;
    const out = new Uint8Array(ct.length);
    this.cipher.xor(nonce, 1, ct, out);
    return out;
  }
}

// Each getRandomValues call costs several µs whatever its size (Web Crypto's argument checks),
// and a handshake asks for a few dozen bytes at a time (randoms, ephemeral keys): draw 4 KiB at
// once and hand out slices. Every byte is handed out once and wiped from the pool when taken.
const POOL = new Uint8Array(4096);
let poolPos = POOL.length;
function poolRandom(n: number): Uint8Array {
  if (n > 256) return randomBytes(n);
  if (poolPos + n > POOL.length) {
    POOL.set(randomBytes(POOL.length));
    poolPos = 0;
  }
  const out = POOL.slice(poolPos, poolPos + n);
  POOL.fill(0, poolPos, poolPos + n);
  poolPos += n;
  return out;
}

function ecdhe(group: GroupName, random: (n: number) => Uint8Array = poolRandom): KeyExchange {
  if (group === 'x25519') {
    const sk = random(32); // any 32 bytes: X25519 clamps the scalar (RFC 7748 5)
    return {
      group,
      // Fixed-base on the birationally equivalent Edwards curve, about 3x the ladder (ed25519-base.ts).
      publicKey: x25519PublicKeyFixedBase(sk),
      agree(peer) {
        if (peer.length !== 32) throw new Error('bad x25519 share length');
        // Variable-base: the Montgomery ladder on float64 limbs (x25519.ts, fe25519.ts).
        const s = x25519ScalarMult(sk, peer);
        // RFC 8446 7.4.2: an all-zero x25519 result must be rejected.
        if (s.every((b) => b === 0)) throw new Error('x25519 shared secret is zero');
        return s;
      },
    };
  }
  const curve = group === 'secp256r1' ? p256 : p384;
  const sk = curve.utils.randomSecretKey(random(curve.lengths.seed!)); // seed reduced mod n by @noble
  return {
    group,
    // P-256 public keys on our own fixed-base table (about 2.5x @noble's); the agreement is a
    // variable-base multiplication, still @noble's.
    publicKey: group === 'secp256r1' ? p256MultiplyBase(sk) : curve.getPublicKey(sk, false),
    agree(peer) {
      // RFC 8446 4.2.8.2: only the uncompressed form is allowed; noble validates the point.
      const len = group === 'secp256r1' ? 65 : 97;
      if (peer.length !== len || peer[0] !== 4) throw new Error('bad ECDH share encoding');
      return curve.getSharedSecret(sk, peer, true).subarray(1);
    },
  };
}

/**
 * The pure provider drawing every random byte (randoms, ephemeral keys, ECDSA P-256 nonces) from
 * `random`: for replaying recorded transcripts with fixed randomness (RSA-PSS salts and RSA
 * blinding included); P-384 ECDSA and Ed25519 signatures are deterministic anyway.
 */
export function pureCryptoProviderWith(random: (n: number) => Uint8Array, name = 'pure (own randomness)'): CryptoProvider {
  return {
    ...pureCryptoProvider,
    name,
    random,
    keyExchange: (group) => ecdhe(group, random),
    sign: (key, scheme, message) => sign(key, scheme, message, random),
  };
}

function sign(key: KeyObject, scheme: number, message: Uint8Array, random: (n: number) => Uint8Array): Uint8Array {
  const info = SCHEMES.get(scheme);
  const k = prepare(key);
  if (!info) throw new Error(`unknown signature scheme ${scheme}`);
  // P-256: our float64 fixed-base signer with a hedged nonce (src/crypto/p256.ts), ~2.5x @noble's.
  if (k.kind === 'ec-p256') return p256SignDer(k.secret!, signedDigest(info.hash, message), random);
  if (k.kind === 'ec-p384') return p384.sign(signedDigest(info.hash, message), k.secret!, { prehash: false, format: 'der', lowS: false });
  if (k.kind === 'ed25519') return ed25519.sign(message, k.secret!);
  if (k.kind !== 'rsa' || !k.priv || info.hash === 'sha224' || (info.algo !== 'pss' && info.algo !== 'pkcs1')) throw new Error('unsupported key');
  return rsaSign(k.priv, info.algo, info.hash, message, random);
}

/** Pure-JavaScript cryptography: @noble/* and our own float64 code for hashes, AEADs, ECDHE, ECDSA and Ed25519; RSA in rsa.ts. */
export const pureCryptoProvider: CryptoProvider = {
  name: 'pure',
  // @noble's AES is table-based: slower than ChaCha20 here, and its table lookups are not constant-time.
  hardwareAes: false,
  random: poolRandom,
  hash: digest,
  hmac: (alg, key, data) => (alg === 'sha256' ? hmacSha256(key, data) : hmac(HASHES[alg], key, data)),
  aead: (alg, key) => (alg === 'chacha20-poly1305' ? new ChaCha20Poly1305Aead(key) : new GcmAead(key)),
  keyExchange: (group) => ecdhe(group),
  sign: (key, scheme, message) => sign(key, scheme, message, poolRandom),
  verify(key, scheme, message, signature) {
    const info = SCHEMES.get(scheme);
    if (!info) return false;
    try {
      const k = prepare(key);
      if (k.kind === 'ec-p256' || k.kind === 'ec-p384') {
        if (info.algo !== 'ecdsa') return false;
        const curve = k.kind === 'ec-p256' ? p256 : p384;
        return curve.verify(signature, signedDigest(info.hash, message), k.public, { prehash: false, format: 'der', lowS: false });
      }
      if (k.kind === 'ed25519') return info.algo === 'ed25519' && ed25519.verify(signature, message, k.public);
      if (k.kind !== 'rsa' || (info.algo !== 'pss' && info.algo !== 'pkcs1') || info.hash === 'sha224') return false;
      return rsaVerify(k.n, k.e, info.algo, info.hash, message, signature);
    } catch {
      return false;
    }
  },
};
