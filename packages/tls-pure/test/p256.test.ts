import { describe, expect, it } from 'vitest';
import { createHash, createPublicKey, generateKeyPairSync, randomBytes, verify as nodeVerify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { p256 } from '@noble/curves/nist.js';
import type { Fe } from '../src/crypto/p256-field.js';
import { fe, feAdd, feCanonical, feFromBytes, feInvert, feMul, feNeg, feSqr, feSub, feToBytes } from '../src/crypto/p256-field.js';
import { p256MultiplyBase, p256SignDer } from '../src/crypto/p256.js';
import { pureCryptoProvider } from '../src/crypto/pure.js';

const P = 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n;
const N = p256.Point.CURVE().n;
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const mod = (v: bigint, m: bigint) => ((v % m) + m) % m;
const toBytes32 = (v: bigint) => new Uint8Array(Buffer.from(v.toString(16).padStart(64, '0'), 'hex'));
const fromBytes = (b: Uint8Array) => (b.length === 0 ? 0n : BigInt('0x' + hex(b)));
const randomBig = () => fromBytes(randomBytes(32));

/** The element of a value below 2^256 (limbs in [0, 2^16)). */
function feOf(v: bigint): Fe {
  const o = fe();
  feFromBytes(o, toBytes32(v));
  return o;
}
/** The value a (possibly loose, signed) limb vector stands for, reduced mod p. */
function valueOf(a: Fe): bigint {
  let v = 0n;
  for (let i = 15; i >= 0; i--) v = v * 65536n + BigInt(a[i]!);
  return mod(v, P);
}
/** Random signed limbs below `bound` in magnitude: a loosely reduced element. */
function looseElement(bound: number): Fe {
  const o = fe();
  for (let i = 0; i < 16; i++) o[i] = Math.floor((Math.random() * 2 - 1) * bound);
  return o;
}
const inOutputRange = (a: Fe) => a.every((x) => Number.isInteger(x) && x >= -2 && x < 65536 + 2);

const EDGE_VALUES = [
  0n, 1n, 2n, P - 1n, P - 2n, P, P + 1n, 2n ** 256n - 1n, 2n ** 256n - 2n, 2n ** 255n, 2n ** 224n,
  2n ** 224n - 1n, 2n ** 192n, 2n ** 96n - 1n, 2n ** 32n - 1n, 65535n, (P - 1n) / 2n, 2n ** 256n - 2n ** 224n,
];

describe('GF(p-256) in float64 limbs', () => {
  const values = [...EDGE_VALUES, ...Array.from({ length: 300 }, randomBig)];

  it('multiplies, squares, adds, subtracts and negates like BigInt', () => {
    for (let i = 0; i < values.length; i++) {
      const x = values[i]!;
      const y = values[(i * 7 + 3) % values.length]!;
      const a = feOf(x);
      const b = feOf(y);
      const o = fe();
      feMul(o, a, b);
      expect(valueOf(o)).toBe(mod(x * y, P));
      expect(inOutputRange(o)).toBe(true);
      feSqr(o, a);
      expect(valueOf(o)).toBe(mod(x * x, P));
      expect(inOutputRange(o)).toBe(true);
      feAdd(o, a, b);
      expect(valueOf(o)).toBe(mod(x + y, P));
      feSub(o, a, b);
      expect(valueOf(o)).toBe(mod(x - y, P));
      feNeg(o, a);
      expect(valueOf(o)).toBe(mod(-x, P));
    }
  });

  it('is exact for loosely reduced inputs up to the documented bound, aliasing included', () => {
    const bound = 20 * 65536;
    const extremes = [bound - 1, -(bound - 1)];
    const cases: Array<[Fe, Fe]> = [];
    for (const u of extremes) for (const v of extremes) cases.push([fe().fill(u), fe().fill(v)]);
    const alternating = fe().map((_, i) => (i % 2 ? bound - 1 : -(bound - 1)));
    cases.push([alternating, alternating.slice()]);
    for (let i = 0; i < 300; i++) cases.push([looseElement(i % 2 ? bound : 65536 * 2), looseElement(bound)]);
    for (const [a, b] of cases) {
      const want = mod(valueOf(a) * valueOf(b), P);
      const o = fe();
      feMul(o, a, b);
      expect(valueOf(o)).toBe(want);
      expect(inOutputRange(o)).toBe(true);
      feSqr(o, a);
      expect(valueOf(o)).toBe(mod(valueOf(a) * valueOf(a), P));
      expect(inOutputRange(o)).toBe(true);
      const c = a.slice();
      feMul(c, c, b); // o aliasing a
      expect(valueOf(c)).toBe(want);
      feSqr(c, c);
      expect(valueOf(c)).toBe(mod(want * want, P));
    }
  });

  it('has its generated multiply and square in sync with tools/gen-p256-field.mjs (which also re-proves the bounds)', () => {
    const generator = fileURLToPath(new URL('../tools/gen-p256-field.mjs', import.meta.url));
    expect(() => execFileSync(process.execPath, [generator, '--check'], { stdio: 'pipe' })).not.toThrow();
  });

  it('inverts by Fermat (and maps 0 to 0)', () => {
    for (const x of [...EDGE_VALUES, ...Array.from({ length: 40 }, randomBig)]) {
      const o = fe();
      feInvert(o, feOf(x));
      const r = mod(x, P);
      expect(mod(valueOf(o) * r, P)).toBe(r === 0n ? 0n : 1n);
      if (r === 0n) expect(valueOf(o)).toBe(0n);
    }
    const loose = looseElement(65536 * 3);
    const o = fe();
    feInvert(o, loose);
    expect(mod(valueOf(o) * valueOf(loose), P)).toBe(1n);
  });

  it('encodes canonically, subtracting p when needed', () => {
    for (const x of values) {
      expect(fromBytes(feToBytes(feOf(x)))).toBe(mod(x, P)); // includes p <= x < 2^256
      const a = feOf(x);
      feCanonical(a);
      expect(a.every((l) => l >= 0 && l < 65536)).toBe(true);
      expect(valueOf(a)).toBe(mod(x, P));
    }
    for (let i = 0; i < 300; i++) {
      const a = looseElement(i % 3 === 0 ? 2 ** 22 : 16 * 65536);
      expect(fromBytes(feToBytes(a))).toBe(valueOf(a));
    }
    // Representations of p, 2p - 1 and -1 whose limbs are all out of range.
    const limbsOf = (v: bigint) => { const o = fe(); for (let i = 0; i < 16; i++) o[i] = Number((v >> BigInt(16 * i)) & 0xffffn); return o; };
    const shifted = limbsOf(P);
    for (let i = 0; i < 15; i++) { shifted[i] += 65536; shifted[i + 1] -= 1; } // same value, limbs >= 2^16
    expect(fromBytes(feToBytes(shifted))).toBe(0n);
    const minusOne = fe();
    minusOne[0] = -1;
    expect(fromBytes(feToBytes(minusOne))).toBe(P - 1n);
  });
});

describe('P-256 fixed-base multiplication k*G', () => {
  const expectLikeNoble = (k: bigint) => {
    expect(hex(p256MultiplyBase(toBytes32(k))), `k = ${k.toString(16)}`).toBe(hex(p256.Point.BASE.multiply(k).toBytes(false)));
  };

  it('matches @noble/curves on edge scalars', () => {
    const ones6 = (positions: number[]) => positions.reduce((k, w) => k | (63n << BigInt(6 * w)), 0n);
    const fill = (pattern: bigint, width: number) => { let k = 0n; for (let i = 0; i < 256; i += width) k |= pattern << BigInt(i); return mod(k, 2n ** 256n); };
    const edges = [
      1n, 2n, 3n, 31n, 32n, 33n, 63n, 64n, 65n, N - 1n, N - 2n, N - 32n, N - 33n, (N - 1n) / 2n, 2n ** 255n,
      2n ** 255n - 1n, 2n ** 252n, 2n ** 252n - 1n, 2n ** 256n - 2n ** 224n - 1n, 2n ** 128n, 2n ** 6n, 2n ** 246n,
      ones6([0]), ones6([1, 3, 5, 7]), ones6([41]), ones6(Array.from({ length: 41 }, (_, i) => i)), // all-one windows
      fill(32n, 6), fill(31n, 6), fill(33n, 6), fill(1n, 6), fill(0x20n, 12), fill(1n, 64), fill(0xffffn, 32),
    ];
    for (const k of edges) {
      expect(k > 0n && k < N).toBe(true);
      expectLikeNoble(k);
    }
    // -G = (Gx, p - Gy)
    const g = p256.Point.BASE.toAffine();
    expect(hex(p256MultiplyBase(toBytes32(N - 1n)))).toBe('04' + hex(toBytes32(g.x)) + hex(toBytes32(P - g.y)));
  });

  it('matches @noble/curves on random scalars, and small ones', () => {
    for (let i = 0; i < 150; i++) expectLikeNoble(mod(randomBig(), N - 1n) + 1n);
    for (let k = 1n; k <= 70n; k++) expectLikeNoble(k);
  });

  it('rejects scalars outside [1, n - 1]', () => {
    expect(() => p256MultiplyBase(toBytes32(0n))).toThrow();
    expect(() => p256MultiplyBase(toBytes32(N))).toThrow();
    expect(() => p256MultiplyBase(toBytes32(2n ** 256n - 1n))).toThrow();
    expect(() => p256MultiplyBase(new Uint8Array(31))).toThrow();
  });
});

describe('ECDSA P-256 signing', () => {
  const keys = Array.from({ length: 12 }, () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = privateKey.export({ format: 'jwk' });
    const secret = new Uint8Array(Buffer.from(jwk.d!, 'base64url'));
    return { secret, publicKey, privateKey, public: p256.getPublicKey(secret, false) };
  });
  const sha = (alg: string, m: Uint8Array) => new Uint8Array(createHash(alg).update(m).digest());

  it('produces signatures that node:crypto and @noble/curves verify', () => {
    for (let i = 0; i < 60; i++) {
      const key = keys[i % keys.length]!;
      const message = randomBytes(i * 5);
      const sig = p256SignDer(key.secret, sha('sha256', message));
      expect(nodeVerify('sha256', message, { key: key.publicKey, dsaEncoding: 'der' }, sig)).toBe(true);
      expect(p256.verify(sig, sha('sha256', message), key.public, { prehash: false, format: 'der', lowS: false })).toBe(true);
      // The same DER form as @noble/curves' encoder.
      expect(hex(p256.Signature.fromBytes(sig, 'der').toBytes('der'))).toBe(hex(sig));
      const other = randomBytes(8);
      expect(nodeVerify('sha256', other, { key: key.publicKey, dsaEncoding: 'der' }, sig)).toBe(false);
    }
  });

  it('truncates a longer hash to its leftmost 256 bits, as FIPS 186-5 says', () => {
    for (const key of keys.slice(0, 4)) {
      const message = randomBytes(100);
      const sig = p256SignDer(key.secret, sha('sha384', message));
      expect(nodeVerify('sha384', message, { key: key.publicKey, dsaEncoding: 'der' }, sig)).toBe(true);
      expect(p256.verify(sig, sha('sha384', message), key.public, { prehash: false, format: 'der', lowS: false })).toBe(true);
    }
  });

  it('encodes DER minimally, with a 0x00 before a set high bit', () => {
    const key = keys[0]!;
    const message = randomBytes(20);
    const hash = sha('sha256', message);
    const seen = new Set<string>();
    for (let i = 0; i < 6000 && seen.size < 5; i++) {
      const sig = p256SignDer(key.secret, hash);
      expect(sig[0]).toBe(0x30);
      expect(sig[1]).toBe(sig.length - 2);
      let at = 2;
      for (const name of ['r', 's']) {
        expect(sig[at]).toBe(0x02);
        const len = sig[at + 1]!;
        const body = sig.subarray(at + 2, at + 2 + len);
        if (body[0]! >= 0x80) throw new Error('negative INTEGER');
        if (body[0] === 0) expect(body[1]! >= 0x80).toBe(true); // a leading 0x00 only before a high bit
        expect(len).toBeLessThanOrEqual(33);
        if (body[0] === 0) seen.add(`${name} high bit`);
        else seen.add(`${name} clear`);
        if (len < 32) seen.add('short');
        at += 2 + len;
      }
      expect(at).toBe(sig.length);
      expect(nodeVerify('sha256', message, { key: key.publicKey, dsaEncoding: 'der' }, sig)).toBe(true);
    }
    expect([...seen].sort()).toEqual(['r clear', 'r high bit', 's clear', 's high bit', 'short']);
  });

  it('hedges the nonce: fresh randomness changes it, a stuck source leaves it a function of key and hash', () => {
    const key = keys[1]!;
    const hash = sha('sha256', new Uint8Array([1, 2, 3]));
    expect(hex(p256SignDer(key.secret, hash))).not.toBe(hex(p256SignDer(key.secret, hash)));
    const stuck = (n: number) => new Uint8Array(n);
    const a = p256SignDer(key.secret, hash, stuck);
    expect(hex(p256SignDer(key.secret, hash, stuck))).toBe(hex(a));
    const otherHash = sha('sha256', new Uint8Array([1, 2, 4]));
    const b = p256SignDer(key.secret, otherHash, stuck);
    const r = (sig: Uint8Array) => hex(p256.Signature.fromBytes(sig, 'der').toBytes('compact').subarray(0, 32));
    expect(r(b)).not.toBe(r(a)); // a different nonce for a different hash
    expect(p256.verify(b, otherHash, key.public, { prehash: false, format: 'der', lowS: false })).toBe(true);
  });

  it('rejects private keys outside [1, n - 1]', () => {
    const hash = new Uint8Array(32);
    expect(() => p256SignDer(toBytes32(0n), hash)).toThrow();
    expect(() => p256SignDer(toBytes32(N), hash)).toThrow();
    expect(() => p256SignDer(new Uint8Array(33), hash)).toThrow();
    const sig = p256SignDer(toBytes32(N - 1n), hash);
    expect(p256.verify(sig, hash, p256.getPublicKey(toBytes32(N - 1n)), { prehash: false, format: 'der', lowS: false })).toBe(true);
  });

  it('signs CertificateVerify through the pure provider (ecdsa_secp256r1_sha256)', () => {
    for (const key of keys.slice(0, 3)) {
      const message = randomBytes(130);
      const sig = pureCryptoProvider.sign(key.privateKey as KeyObject, 0x0403, message);
      expect(nodeVerify('sha256', message, { key: createPublicKey(key.privateKey), dsaEncoding: 'der' }, sig)).toBe(true);
    }
  });
});
