import { describe, expect, it } from 'vitest';
import { constants, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { bitLength, modInverse, modPowFixedWindow, modPowPrimeBlinded, modPowPublic } from '../src/crypto/rsa-modexp.js';
import { RsaPrivateKey, bytesToBigInt } from '../src/crypto/rsa.js';
import { pureCryptoProvider, pureCryptoProviderWith } from '../src/crypto/pure.js';
import { SignatureScheme } from '../src/crypto/schemes.js';

const randomBig = (bytes: number): bigint => bytesToBigInt(randomBytes(bytes));
const mod = (v: bigint, m: bigint) => ((v % m) + m) % m;
const hexOf = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** The RSA schemes and how node:crypto checks each. */
const SCHEMES = [
  { name: 'rsa_pss_rsae_sha256', code: SignatureScheme.rsa_pss_rsae_sha256, hash: 'sha256', pss: true },
  { name: 'rsa_pss_rsae_sha384', code: SignatureScheme.rsa_pss_rsae_sha384, hash: 'sha384', pss: true },
  { name: 'rsa_pss_rsae_sha512', code: SignatureScheme.rsa_pss_rsae_sha512, hash: 'sha512', pss: true },
  { name: 'rsa_pkcs1_sha256', code: SignatureScheme.rsa_pkcs1_sha256, hash: 'sha256', pss: false },
  { name: 'rsa_pkcs1_sha384', code: SignatureScheme.rsa_pkcs1_sha384, hash: 'sha384', pss: false },
  { name: 'rsa_pkcs1_sha512', code: SignatureScheme.rsa_pkcs1_sha512, hash: 'sha512', pss: false },
] as const;

function nodeAccepts(pub: KeyObject, s: (typeof SCHEMES)[number], message: Uint8Array, signature: Uint8Array): boolean {
  return nodeVerify(s.hash, message, s.pss
    ? { key: pub, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
    : { key: pub, padding: constants.RSA_PKCS1_PADDING }, signature);
}

describe('RSA modular exponentiation', () => {
  const moduli = [
    randomBig(128) | 1n | (1n << 1023n),
    randomBig(64) | 1n | (1n << 511n),
    randomBig(192) | 1n | (1n << 1535n),
    (1n << 1034n) - 1n,
    (1n << 1024n) + 1n,
    97n,
  ];

  it('exponentiates with fixed windows like square-and-multiply, padded or not', () => {
    for (const m of moduli) {
      const bits = bitLength(m);
      const exps = [0n, 1n, 2n, 31n, 32n, 33n, m - 2n, m - 1n, (1n << BigInt(bits)) - 1n, randomBig(Math.max(1, Math.floor(bits / 8))) % m];
      for (const e of exps) {
        for (const base of [0n, 1n, m - 1n, randomBig(16) % m, randomBig(Math.ceil(bits / 8)) % m]) {
          expect(modPowFixedWindow(base, e, m, bits)).toBe(modPowPublic(base, e, m));
          expect(modPowFixedWindow(base, e, m, bits + 64)).toBe(modPowPublic(base, e, m));
        }
      }
      expect(() => modPowFixedWindow(2n, 1n << BigInt(bits + 5), m, bits)).toThrow(RangeError);
    }
  });

  it('gives x^d mod p with a blinded exponent, a fresh one each time', () => {
    const { privateKey } = keyPair2048();
    const jwk = privateKey.export({ format: 'jwk' });
    const p = bytesToBigInt(Buffer.from(jwk.p!, 'base64url'));
    const dp = bytesToBigInt(Buffer.from(jwk.dp!, 'base64url'));
    const seen = new Set<string>();
    const spy = (n: number) => {
      const b = randomBytes(n);
      seen.add(hexOf(b));
      return b;
    };
    for (const x of [0n, 1n, p - 1n, p, p + 5n, randomBig(256)]) {
      expect(modPowPrimeBlinded(x, dp, p, spy)).toBe(modPowPublic(x, dp, p));
    }
    expect(seen.size).toBe(6);
  });

  it('inverts modulo a composite, and refuses a non-invertible value', () => {
    const m = (randomBig(128) | 1n) * 3n;
    expect(() => modInverse(6n, m)).toThrow(RangeError);
    for (let i = 0; i < 20; i++) {
      const a = randomBig(100) * 2n + 1n;
      let inv: bigint;
      try {
        inv = modInverse(a, m);
      } catch (e) {
        expect(e).toBeInstanceOf(RangeError); // a shares a factor with m
        continue;
      }
      expect(mod(inv * a, m)).toBe(1n);
    }
  });
});

let cachedPair: ReturnType<typeof generateKeyPairSync> | undefined;
function keyPair2048() {
  return (cachedPair ??= generateKeyPairSync('rsa', { modulusLength: 2048 }));
}

interface SigGenVectors {
  groups: Array<{ keySize: number; sha: string; privateKeyPem: string; tests: Array<{ tcId: number; msg: string; sig: string }> }>;
}
interface VerifyVectors {
  groups: Array<{ file: string; algo: 'pss' | 'pkcs1'; sha: string; keySize: number; n: string; e: string; sLen?: number; mgfSha?: string; tests: Array<{ tcId: number; msg: string; sig: string; result: 'valid' | 'invalid' }> }>;
}
const vectors = <T>(name: string): T => JSON.parse(readFileSync(new URL(`./vectors/${name}`, import.meta.url), 'utf8')) as T;
const PKCS1_SCHEME: Record<string, number> = { 'SHA-256': 0x0401, 'SHA-384': 0x0501, 'SHA-512': 0x0601 };
const PSS_SCHEME: Record<string, number> = { 'SHA-256': 0x0804, 'SHA-384': 0x0805, 'SHA-512': 0x0806 };

describe('RSA signatures of the pure provider', () => {
  it('signs the Wycheproof PKCS#1 v1.5 known answers byte for byte (2048, 3072, 4096 bits; SHA-256/384/512)', () => {
    const v = vectors<SigGenVectors>('wycheproof-rsa-pkcs1-sig-gen.json');
    let checked = 0;
    for (const g of v.groups) {
      const key = createPrivateKey(g.privateKeyPem);
      for (const t of g.tests) {
        const sig = pureCryptoProvider.sign(key, PKCS1_SCHEME[g.sha]!, Buffer.from(t.msg, 'hex'));
        expect(hexOf(sig), `${g.keySize} ${g.sha} tcId ${t.tcId}`).toBe(t.sig);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(40);
  });

  it('verifies like Wycheproof says: every valid vector accepted, every invalid one refused', () => {
    const v = vectors<VerifyVectors>('wycheproof-rsa-verify.json');
    for (const g of v.groups) {
      const pub = createPublicKey({ key: { kty: 'RSA', n: Buffer.from(g.n, 'hex').toString('base64url'), e: Buffer.from(g.e, 'hex').toString('base64url') }, format: 'jwk' });
      const scheme = (g.algo === 'pss' ? PSS_SCHEME : PKCS1_SCHEME)[g.sha]!;
      for (const t of g.tests) {
        const ok = pureCryptoProvider.verify(pub, scheme, Buffer.from(t.msg, 'hex'), Buffer.from(t.sig, 'hex'));
        expect(ok, `${g.file} tcId ${t.tcId}`).toBe(t.result === 'valid');
      }
    }
  });

  // Fresh keys of several sizes, the odd ones putting the top of the encoded message on either side of a byte boundary (RFC 8017 9.1.1 emBits).
  const keys = [2048, 2048, 2048, 2049, 2056, 3072, 1024].map((modulusLength) => generateKeyPairSync('rsa', { modulusLength }));

  it('makes signatures node:crypto accepts, for every RSA scheme, many keys and messages; tampering is refused', () => {
    for (const { privateKey, publicKey } of keys) {
      for (const s of SCHEMES) {
        if (s.hash === 'sha512' && s.pss && privateKey.asymmetricKeyDetails!.modulusLength! < 1040) continue; // RFC 8017 9.1.1: key too small for 2 * 64 + 2 bytes
        for (const len of [0, 1, 32, 100, 1000]) {
          const message = randomBytes(len);
          const sig = pureCryptoProvider.sign(privateKey, s.code, message);
          expect(nodeAccepts(publicKey, s, message, sig), `${s.name} ${privateKey.asymmetricKeyDetails!.modulusLength}`).toBe(true);
          expect(pureCryptoProvider.verify(publicKey, s.code, message, sig)).toBe(true);
          const bad = Uint8Array.from(sig);
          bad[len % bad.length]! ^= 1;
          expect(pureCryptoProvider.verify(publicKey, s.code, message, bad)).toBe(false);
          expect(pureCryptoProvider.verify(publicKey, s.code, Buffer.concat([message, Buffer.of(0)]), sig)).toBe(false);
        }
      }
    }
  });

  it('verifies node:crypto signatures, and its PKCS#1 v1.5 signatures equal ours byte for byte', () => {
    for (const { privateKey, publicKey } of keys.slice(0, 4)) {
      for (const s of SCHEMES) {
        const message = randomBytes(77);
        const theirs = nodeSign(s.hash, message, s.pss
          ? { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
          : { key: privateKey, padding: constants.RSA_PKCS1_PADDING });
        expect(pureCryptoProvider.verify(publicKey, s.code, message, theirs)).toBe(true);
        if (!s.pss) expect(hexOf(pureCryptoProvider.sign(privateKey, s.code, message))).toBe(hexOf(theirs));
      }
    }
  });

  it('draws PSS salts and blinding from the provider randomness (fixed randomness gives one signature)', () => {
    const { privateKey, publicKey } = keys[0]!;
    const fixed = () => pureCryptoProviderWith((n) => new Uint8Array(n).fill(7), 'fixed');
    const message = Buffer.from('transcript');
    const a = fixed().sign(privateKey, SignatureScheme.rsa_pss_rsae_sha256, message);
    const b = fixed().sign(privateKey, SignatureScheme.rsa_pss_rsae_sha256, message);
    expect(hexOf(a)).toBe(hexOf(b));
    expect(nodeAccepts(publicKey, SCHEMES[0], message, a)).toBe(true);
    // The default provider's salts are random: two signatures differ and both verify.
    const c = pureCryptoProvider.sign(privateKey, SignatureScheme.rsa_pss_rsae_sha256, message);
    const d = pureCryptoProvider.sign(privateKey, SignatureScheme.rsa_pss_rsae_sha256, message);
    expect(hexOf(c)).not.toBe(hexOf(d));
    expect(nodeAccepts(publicKey, SCHEMES[0], message, c) && nodeAccepts(publicKey, SCHEMES[0], message, d)).toBe(true);
  });

  it('keeps signing correctly across blinding refreshes (every 32 signatures)', () => {
    const { privateKey, publicKey } = keys[1]!;
    for (let i = 0; i < 70; i++) {
      const message = randomBytes(16);
      const sig = pureCryptoProvider.sign(privateKey, SignatureScheme.rsa_pkcs1_sha256, message);
      expect(nodeAccepts(publicKey, SCHEMES[3], message, sig)).toBe(true);
    }
  });
});

describe('RSA private key checks', () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  const big = (s: string | undefined) => bytesToBigInt(Buffer.from(s!, 'base64url'));
  const parts = () => ({ n: big(jwk.n), e: big(jwk.e), d: big(jwk.d), p: big(jwk.p), q: big(jwk.q), dp: big(jwk.dp), dq: big(jwk.dq), qi: big(jwk.qi) });
  const em = () => {
    const b = randomBytes(256);
    b[0] = 0;
    return b;
  };

  it('refuses inconsistent key parts when the key is loaded', () => {
    expect(() => new RsaPrivateKey({ ...parts(), p: parts().p + 2n })).toThrow(RangeError);
    expect(() => new RsaPrivateKey({ ...parts(), dq: parts().dq + 1n })).toThrow(RangeError);
    expect(() => new RsaPrivateKey({ ...parts(), qi: parts().qi + 1n })).toThrow(RangeError);
  });

  it('matches m^d mod n computed the textbook way', () => {
    const key = new RsaPrivateKey(parts());
    const { n, d } = parts();
    for (let i = 0; i < 5; i++) {
      const m = em();
      expect(bytesToBigInt(key.signEncoded(m, randomBytes))).toBe(modPowPublic(bytesToBigInt(m), d, n));
    }
  });

  it('never releases a faulty CRT signature: a wrong half (as a glitch would make) fails the check with e (Boneh-DeMillo-Lipton)', () => {
    const key = new RsaPrivateKey(parts());
    // Simulate a fault in the mod-p half: the exponent the exponentiation reads is off by one bit.
    (key as unknown as { dp: bigint }).dp = parts().dp ^ 4n;
    expect(() => key.signEncoded(em(), randomBytes)).toThrow(/check with the public exponent/);
  });

  it('refuses a message representative that is not below n', () => {
    const key = new RsaPrivateKey(parts());
    expect(() => key.signEncoded(new Uint8Array(256).fill(0xff), randomBytes)).toThrow(RangeError);
  });
});
