import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { x25519PublicKey, x25519PublicKeyFixedBase, x25519ScalarMult } from '../src/crypto/x25519.js';
import { edwardsBaseMultipleToMontgomeryU } from '../src/crypto/ed25519-base.js';
import {
  type Fe,
  FE_LIMBS,
  feFromBytes,
  feInvert,
  feMul,
  feMulSmall,
  feMulSmallAdd,
  feNew,
  feSqr,
  feToBytes,
} from '../src/crypto/fe25519.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));
const random32 = () => new Uint8Array(randomBytes(32));

const P = 2n ** 255n - 19n;
const L = 2n ** 252n + 27742317777372353535851937790883648493n; // ed25519's prime group order
const mod = (x: bigint) => ((x % P) + P) % P;
function powMod(base: bigint, exponent: bigint): bigint {
  let result = 1n;
  for (let b = mod(base), e = exponent; e > 0n; e >>= 1n, b = mod(b * b)) if (e & 1n) result = mod(result * b);
  return result;
}

/** The value of an element (limbs may be negative or above 2^17): sum limb * 2^(17 i), mod p. */
const feValue = (a: Fe) => mod(Array.from(a).reduce((acc, limb, i) => acc + (BigInt(limb) << BigInt(17 * i)), 0n));
/** An element with 17-bit limbs holding x < 2^255 (not reduced mod p). */
function feOf(x: bigint): Fe {
  const a = feNew();
  for (let i = 0; i < FE_LIMBS; i++) a[i] = Number((x >> BigInt(17 * i)) & 0x1ffffn);
  return a;
}
const feOfLimbs = (limbs: number[]) => Float64Array.from(limbs);
const leBytes = (x: bigint) => {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = Number((x >> BigInt(8 * i)) & 0xffn);
  return out;
};
const fromLe = (b: Uint8Array) => b.reduceRight((acc, v) => (acc << 8n) | BigInt(v), 0n);
const randomLimbs = (bound: number) => feOfLimbs(Array.from({ length: FE_LIMBS }, () => Math.floor((Math.random() * 2 - 1) * bound)));

/** The limb bounds fe25519.ts documents: inputs of feMul/feSqr, and what their outputs stay within. */
const INPUT_BOUND = 2 ** 21;
const TIGHT_LOW = -72962;
const TIGHT_HIGH = 204033;
const isTight = (a: Fe) => Array.from(a).every((limb) => Number.isInteger(limb) && limb >= TIGHT_LOW && limb <= TIGHT_HIGH);

describe('fe25519 (15 x 17-bit float64 limbs)', () => {
  const edgeValues = [0n, 1n, 2n, 19n, P - 1n, P, P + 1n, 2n ** 255n - 1n, 2n ** 254n, 2n ** 17n - 1n, 2n ** 17n];
  const edgeLimbs = [
    feOfLimbs(Array(FE_LIMBS).fill(INPUT_BOUND)),
    feOfLimbs(Array(FE_LIMBS).fill(-INPUT_BOUND)),
    feOfLimbs(Array.from({ length: FE_LIMBS }, (_, i) => (i % 2 ? INPUT_BOUND : -INPUT_BOUND))),
    feOfLimbs(Array.from({ length: FE_LIMBS }, (_, i) => (i % 2 ? -INPUT_BOUND : INPUT_BOUND))),
    feOfLimbs(Array(FE_LIMBS).fill(TIGHT_HIGH)),
    feOfLimbs(Array(FE_LIMBS).fill(TIGHT_LOW)),
  ];
  const inputs = (): Fe[] => [
    ...edgeValues.map(feOf),
    ...edgeLimbs,
    ...Array.from({ length: 40 }, () => feOf(fromLe(random32()) & (2n ** 255n - 1n))),
    ...Array.from({ length: 40 }, () => randomLimbs(INPUT_BOUND)),
  ];

  it('multiplies and squares like BigInt, at and inside the claimed input bounds, with tight outputs', () => {
    const xs = inputs();
    const o = feNew();
    for (const a of xs) {
      for (const b of xs) {
        feMul(o, a, b);
        expect(feValue(o)).toBe(mod(feValue(a) * feValue(b)));
        expect(isTight(o)).toBe(true);
      }
      feSqr(o, a);
      expect(feValue(o)).toBe(mod(feValue(a) * feValue(a)));
      expect(isTight(o)).toBe(true);
      // Aliasing: o = a.
      const c = a.slice();
      feMul(c, c, c);
      expect(feValue(c)).toBe(feValue(o));
    }
  });

  it('multiplies by a small constant and adds, at the claimed bounds', () => {
    const o = feNew();
    for (const a of inputs()) {
      for (const k of [0, 1, 19, 121665, 2 ** 17, -(2 ** 17)]) {
        feMulSmall(o, a, k);
        expect(feValue(o)).toBe(mod(feValue(a) * BigInt(k)));
        expect(isTight(o)).toBe(true);
        const addend = randomLimbs(INPUT_BOUND);
        feMulSmallAdd(o, a, k, addend);
        expect(feValue(o)).toBe(mod(feValue(a) * BigInt(k) + feValue(addend)));
        expect(isTight(o)).toBe(true);
      }
    }
  });

  it('inverts (0 to 0) and encodes canonically', () => {
    const o = feNew();
    const out = new Uint8Array(32);
    for (const a of inputs()) {
      feInvert(o, a);
      const v = feValue(a);
      expect(feValue(o)).toBe(v === 0n ? 0n : powMod(v, P - 2n));
      if (v !== 0n) expect(mod(feValue(o) * v)).toBe(1n);
      if (Array.from(a).every((limb) => Math.abs(limb) < INPUT_BOUND - 304)) {
        feToBytes(out, a);
        expect(fromLe(out)).toBe(v); // canonical: < p
      }
    }
    // Loose values just inside feToBytes' bound, and the values next to p.
    for (const limb of [INPUT_BOUND - 305, -(INPUT_BOUND - 305)]) {
      const a = feOfLimbs(Array(FE_LIMBS).fill(limb));
      feToBytes(out, a);
      expect(fromLe(out)).toBe(feValue(a));
    }
    for (const x of [P - 1n, P, P + 1n, P + 18n, 2n ** 255n - 1n]) {
      feToBytes(out, feOf(x));
      expect(fromLe(out)).toBe(mod(x));
    }
  });

  it('has its generated multiply in sync with tools/gen-fe25519.mjs (which also re-proves the bounds)', () => {
    const generator = fileURLToPath(new URL('../tools/gen-fe25519.mjs', import.meta.url));
    expect(() => execFileSync(process.execPath, [generator, '--check'], { stdio: 'pipe' })).not.toThrow();
  });

  it('reads 32 bytes ignoring the top bit', () => {
    const a = feNew();
    for (let i = 0; i < 50; i++) {
      const b = random32();
      feFromBytes(a, b);
      expect(feValue(a)).toBe(mod(fromLe(b) & (2n ** 255n - 1n)));
      expect(Array.from(a).every((limb) => limb >= 0 && limb < 2 ** 17)).toBe(true);
    }
  });
});

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

  it('matches the RFC 7748 section 5.2 iterated test after 1 and 1,000 iterations', () => {
    let k = new Uint8Array(32);
    k[0] = 9;
    let u = k.slice();
    for (let i = 1; i <= 1000; i++) {
      const r = x25519ScalarMult(k, u);
      u = k;
      k = r;
      if (i === 1) expect(hex(k)).toBe('422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079');
    }
    expect(hex(k)).toBe('684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51');
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
    const edges = [
      new Uint8Array(32).fill(0xff),
      new Uint8Array(32).fill(0x7f),
      bytes('edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'), // p
      bytes('eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'), // p + 1
      bytes('ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'), // p - 1
      new Uint8Array(32), // u = 0
    ];
    for (let i = 0; i < 200; i++) {
      const k = random32();
      const u = i < edges.length ? edges[i]! : random32();
      let want: string;
      try {
        want = hex(x25519.getSharedSecret(k, u));
      } catch {
        want = '00'.repeat(32); // @noble refuses an all-zero result (u = p is u = 0); the caller checks for it
      }
      const kCopy = k.slice();
      const uCopy = u.slice();
      expect(hex(x25519ScalarMult(k, u))).toBe(want);
      expect(hex(k) + hex(u)).toBe(hex(kCopy) + hex(uCopy)); // inputs untouched
      expect(hex(x25519PublicKey(k))).toBe(hex(x25519.getPublicKey(k)));
    }
  });
});

describe('x25519PublicKeyFixedBase (ed25519 fixed-base multiplication)', () => {
  /** Secrets whose clamped scalar has its signed radix-16 digits at the extremes. */
  const extremeSecrets = [
    new Uint8Array(32), // clamped to 2^254: digits 0 except the top one
    new Uint8Array(32).fill(0xff), // clamped to 2^255 - 8: digits -8, then 0s, top digit 8
    Uint8Array.from({ length: 32 }, (_, i) => (i === 0 ? 0x78 : 0x77)), // every digit -8, top digit 8
    Uint8Array.from({ length: 32 }, (_, i) => (i === 0 ? 0x70 : 0x77)), // digits 0, 7, 7, ..., 7
    Uint8Array.from({ length: 32 }, () => 0x88), // -8, -7, -7, ..., top digit 5
    Uint8Array.from({ length: 32 }, () => 0x80), // 0, -8, 1, -8, 1, ...
    Uint8Array.from({ length: 32 }, () => 0x08), // -8, 1, -8, 1, ...
  ];

  it('equals the ladder on u = 9 and @noble for edge and random secrets', () => {
    const secrets = [...extremeSecrets, ...Array.from({ length: 300 }, random32)];
    for (const k of secrets) {
      const want = hex(x25519.getPublicKey(k));
      const kCopy = k.slice();
      expect(hex(x25519PublicKeyFixedBase(k))).toBe(want);
      expect(hex(k)).toBe(hex(kCopy));
      expect(hex(x25519PublicKey(k))).toBe(want);
    }
  });

  /** u = (1 + y) / (1 - y) of [k]B by @noble's BigInt arithmetic; 0 for the identity. */
  function montgomeryUOfBaseMultiple(k: bigint): bigint {
    const r = k % L;
    if (r === 0n) return 0n;
    const { y } = ed25519.Point.BASE.multiply(r).toAffine();
    return mod((1n + y) * ed25519.Point.Fp.inv(mod(1n - y)));
  }

  it('computes [k]B for any k < 2^255, including multiples of the group order', () => {
    const scalars = [
      0n, 1n, 2n, 8n, 15n, 16n, L - 1n, L, L + 1n, 2n * L, 4n * L, 7n * L, 2n ** 252n, 2n ** 254n, 2n ** 255n - 1n,
      0x7777777777777777777777777777777777777777777777777777777777777778n, // digits -8 ... -8, 8
      ...Array.from({ length: 30 }, () => fromLe(random32()) >> 1n),
    ];
    const out = new Uint8Array(32);
    for (const k of scalars) {
      edwardsBaseMultipleToMontgomeryU(out, leBytes(k));
      expect(fromLe(out)).toBe(montgomeryUOfBaseMultiple(k));
    }
    expect(() => edwardsBaseMultipleToMontgomeryU(out, leBytes(2n ** 255n))).toThrow();
  });
});
