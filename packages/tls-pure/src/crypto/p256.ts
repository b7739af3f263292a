import { invert } from '@noble/curves/abstract/modular.js';
import { bytesToNumberBE } from '@noble/curves/utils.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import type { Fe } from './p256-field.js';
import { fe, feAdd, feCanonical, feFromBytes, feInvert, feMul, feNeg, feSub, feToBytes } from './p256-field.js';

/**
 * ECDSA signing on P-256 (FIPS 186-5 section 6.4.1, SEC 1 v2 section 4.1.3) with the field
 * arithmetic of p256-field.ts. The fixed-base multiplication k*G does one addition per 6-bit
 * signed window of k, of an affine multiple of G from a precomputed table, with the complete
 * formulas of Renes, Costello and Batina ("Complete addition formulas for prime order elliptic
 * curves", EUROCRYPT 2016, eprint 2015/1060), so no input is an exceptional case. A signature
 * costs about 190 µs, 2.5x less than @noble/curves' BigInt signing (which was the largest single
 * cost of a handshake with an ECDSA certificate); the table is built on first use (1376 points,
 * 86 KiB, some tens of ms, most of it the JIT warming up the multiplier).
 *
 * Constant time: everything that depends on the nonce k runs the same operations for every
 * value. The table entry is found by reading every entry of the window under a mask, the sign
 * of a digit is applied by mask, a zero digit is handled by computing the addition anyway and
 * keeping the old sum by mask, and the final inversion is Fermat's. The scalar arithmetic mod n
 * (a few operations per signature) is in BigInt, whose timing depends on operand lengths; the
 * one data-dependent algorithm there, the inversion of k, runs on k * b for a fresh random b.
 */

/** The group order n (SP 800-186 section 3.2.1.3). */
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

const hexBytes = (hex: string): Uint8Array => Uint8Array.from(hex.match(/../g)!, (h) => parseInt(h, 16));
const feConstant = (hex: string): Fe => {
  const o = fe();
  feFromBytes(o, hexBytes(hex));
  return o;
};

/** The curve coefficient b of y^2 = x^3 - 3x + b, and the base point G (SP 800-186 3.2.1.3). */
const CURVE_B = feConstant('5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b');
const GX = feConstant('6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296');
const GY = feConstant('4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5');

/** A point in projective coordinates (X : Y : Z), x = X/Z, y = Y/Z; the identity is (0 : 1 : 0). */
interface Projective {
  readonly x: Fe;
  readonly y: Fe;
  readonly z: Fe;
}
const projective = (): Projective => ({ x: fe(), y: fe(), z: fe() });

// Scratch for the formulas below (JavaScript is single-threaded and these never re-enter).
const t0 = fe();
const t1 = fe();
const t2 = fe();
const t3 = fe();
const t4 = fe();

/**
 * The common second half of RCB 2015 Algorithms 4 and 5 (a = -3): from t0 = X1 X2, t1 = Y1 Y2,
 * t2 = Z1 Z2, t3 = X1 Y2 + X2 Y1, t4 = Y1 Z2 + Y2 Z1 and out.y = X1 Z2 + X2 Z1 to the sum in
 * `out`. Algorithm 5 (q affine, Z2 = 1) enters with t2 = Z1.
 */
function finishAddition(out: Projective): void {
  const { x: x3, y: y3, z: z3 } = out;
  feMul(z3, CURVE_B, t2);
  feSub(x3, y3, z3);
  feAdd(z3, x3, x3);
  feAdd(x3, x3, z3);
  feSub(z3, t1, x3);
  feAdd(x3, t1, x3);
  feMul(y3, CURVE_B, y3);
  feAdd(t1, t2, t2);
  feAdd(t2, t1, t2);
  feSub(y3, y3, t2);
  feSub(y3, y3, t0);
  feAdd(t1, y3, y3);
  feAdd(y3, t1, y3);
  feAdd(t1, t0, t0);
  feAdd(t0, t1, t0);
  feSub(t0, t0, t2);
  feMul(t1, t4, y3);
  feMul(t2, t0, y3);
  feMul(y3, x3, z3);
  feAdd(y3, y3, t2);
  feMul(x3, t3, x3);
  feSub(x3, x3, t1);
  feMul(z3, t4, z3);
  feMul(t1, t3, t0);
  feAdd(z3, z3, t1);
}

/**
 * out = p + q for any projective p, q (equal, opposite or the identity included): Renes-Costello-
 * Batina 2015, Algorithm 4 (a = -3), 12M + 2 multiplications by b. out must not alias p or q.
 * Used to build the table only. Limbs entering a multiplication stay below 15 * 2^16.
 */
function addProjective(out: Projective, p: Projective, q: Projective): void {
  const { x: x3, y: y3 } = out;
  feMul(t0, p.x, q.x);
  feMul(t1, p.y, q.y);
  feMul(t2, p.z, q.z);
  feAdd(t3, p.x, p.y);
  feAdd(t4, q.x, q.y);
  feMul(t3, t3, t4);
  feAdd(t4, t0, t1);
  feSub(t3, t3, t4); // X1 Y2 + X2 Y1
  feAdd(t4, p.y, p.z);
  feAdd(x3, q.y, q.z);
  feMul(t4, t4, x3);
  feAdd(x3, t1, t2);
  feSub(t4, t4, x3); // Y1 Z2 + Y2 Z1
  feAdd(x3, p.x, p.z);
  feAdd(y3, q.x, q.z);
  feMul(x3, x3, y3);
  feAdd(y3, t0, t2);
  feSub(y3, x3, y3); // X1 Z2 + X2 Z1
  finishAddition(out);
}

/**
 * out = p + (qx, qy) for a projective p (the identity included) and an affine q that is not the
 * identity: Renes-Costello-Batina 2015, Algorithm 5 (mixed addition, a = -3), 11M + 2
 * multiplications by b. out must not alias p. Limbs entering a multiplication stay below
 * 15 * 2^16 (p from feMul, q's limbs below 2^16 in magnitude).
 */
function addMixed(out: Projective, p: Projective, qx: Fe, qy: Fe): void {
  const { y: y3 } = out;
  feMul(t0, p.x, qx);
  feMul(t1, p.y, qy);
  feAdd(t3, qx, qy);
  feAdd(t4, p.x, p.y);
  feMul(t3, t3, t4);
  feAdd(t4, t0, t1);
  feSub(t3, t3, t4); // X1 y2 + x2 Y1
  feMul(t4, qy, p.z);
  feAdd(t4, t4, p.y); // Y1 + y2 Z1
  feMul(y3, qx, p.z);
  feAdd(y3, y3, p.x); // X1 + x2 Z1
  t2.set(p.z); // Z1 Z2 with Z2 = 1
  finishAddition(out);
}

/** a = mask ? b : a, for mask 0 or -1 (all ones); limbs must be integers that fit in 32 bits. */
function feSelect(a: Fe, b: Fe, mask: number): void {
  for (let i = 0; i < 16; i++) a[i] = (a[i]! & ~mask) | (b[i]! & mask);
}

// The table: for window w (bits 6w .. 6w+5 of the scalar) and j = 1..32, the affine point
// j * 2^(6w) * G, as canonical 16-bit limbs packed two to a 32-bit word (x then y: 16 words), so
// that the constant-time scan reads half as many words. The scalar is recoded into signed digits
// in [-32, 32) (below), so the table needs only the positive half. 43 windows cover the 256 bits
// plus the recoding's carry: the top one holds bits 252..255 and that carry, at most 16.
// 6-bit windows measured best: 43 additions and 1376 points (86 KiB); 5 bits take 52 additions
// (about 8% slower signing), 7 bits save 6 more additions but scan twice the entries (no faster).
const WINDOW_BITS = 6;
const ENTRIES = 1 << (WINDOW_BITS - 1);
const WINDOWS = Math.ceil(257 / WINDOW_BITS);
const ENTRY_WORDS = 16;
const WINDOW_WORDS = ENTRIES * ENTRY_WORDS;

let baseTable: Int32Array | undefined;

/** Packs the canonical limbs of c into 8 words of out from offset. */
function packLimbs(out: Int32Array, offset: number, c: Fe): void {
  for (let i = 0; i < 8; i++) out[offset + i] = c[2 * i]! | (c[2 * i + 1]! << 16);
}

/** Copies the 16 limbs at element `at` of a store into (from) a field element. */
function load(o: Fe, store: Float64Array, at: number): void {
  for (let i = 0; i < 16; i++) o[i] = store[16 * at + i]!;
}
function save(store: Float64Array, at: number, a: Fe): void {
  for (let i = 0; i < 16; i++) store[16 * at + i] = a[i]!;
}

/**
 * Builds the table once (WINDOWS * ENTRIES = 1376 points): the multiples by complete projective
 * additions, then one shared inversion for all Z (Montgomery's trick) to make them affine.
 * The projective points live in three flat stores rather than thousands of small typed arrays.
 */
function table(): Int32Array {
  if (baseTable) return baseTable;
  const count = WINDOWS * ENTRIES;
  const xs = new Float64Array(16 * count);
  const ys = new Float64Array(16 * count);
  const zs = new Float64Array(16 * count);
  const base = projective();
  base.x.set(GX);
  base.y.set(GY);
  base.z[0] = 1;
  let multiple = projective();
  let next = projective();
  for (let w = 0; w < WINDOWS; w++) {
    multiple.x.set(base.x);
    multiple.y.set(base.y);
    multiple.z.set(base.z);
    for (let j = 1; j <= ENTRIES; j++) {
      if (j > 1) {
        addProjective(next, multiple, base);
        [multiple, next] = [next, multiple];
      }
      const at = w * ENTRIES + j - 1;
      save(xs, at, multiple.x);
      save(ys, at, multiple.y);
      save(zs, at, multiple.z);
    }
    addProjective(base, multiple, multiple); // 2^WINDOW_BITS * base: multiple is 2^(WINDOW_BITS - 1) * base
  }
  // prefix(i) = Z_0 * ... * Z_i; walking back, inv holds (Z_0 ... Z_i)^-1.
  const prefix = new Float64Array(16 * count);
  const a = fe();
  const b = fe();
  load(a, zs, 0);
  save(prefix, 0, a);
  for (let i = 1; i < count; i++) {
    load(b, zs, i);
    feMul(a, a, b);
    save(prefix, i, a);
  }
  const inv = fe();
  feInvert(inv, a);
  const zInv = fe();
  const out = new Int32Array(WINDOWS * WINDOW_WORDS);
  for (let i = count - 1; i >= 0; i--) {
    if (i > 0) {
      load(a, prefix, i - 1);
      feMul(zInv, inv, a);
      load(a, zs, i);
      feMul(inv, inv, a);
    } else zInv.set(inv);
    load(a, xs, i);
    feMul(a, a, zInv);
    feCanonical(a);
    packLimbs(out, i * ENTRY_WORDS, a);
    load(a, ys, i);
    feMul(a, a, zInv);
    feCanonical(a);
    packLimbs(out, i * ENTRY_WORDS + 8, a);
  }
  baseTable = out;
  return out;
}

const digits = new Int32Array(WINDOWS);

/**
 * The scalar (32 bytes, big-endian) as WINDOWS signed digits d_w in [-32, 32) in `digits`, least
 * significant first, with sum d_w 2^(6w) equal to the scalar: each window's 6 bits plus the
 * previous carry, minus 64 (and a carry of 1) when that reaches 32. No branch on the scalar's bits.
 */
function recode(scalar: Uint8Array): void {
  let carry = 0;
  for (let w = 0; w < WINDOWS; w++) {
    let bits = 0;
    for (let j = 0; j < WINDOW_BITS; j++) {
      const bit = w * WINDOW_BITS + j; // a public position, not a secret
      if (bit < 256) bits |= ((scalar[31 - (bit >>> 3)]! >>> (bit & 7)) & 1) << j;
    }
    const v = bits + carry;
    carry = (v + ENTRIES) >>> WINDOW_BITS;
    digits[w] = v - (carry << WINDOW_BITS);
  }
}

const qx = fe();
const qy = fe();
const qyNegated = fe();

/**
 * qx, qy = the table entry |digit| of window w, read by scanning all the window's entries under
 * a mask (the memory access pattern does not depend on the digit); (0, 0) when the digit is 0.
 * The sixteen words are accumulated in locals (unrolled) rather than an array: about twice as
 * fast with V8.
 */
function selectEntry(entries: Int32Array, w: number, magnitude: number): void {
  let w0 = 0, w1 = 0, w2 = 0, w3 = 0, w4 = 0, w5 = 0, w6 = 0, w7 = 0;
  let w8 = 0, w9 = 0, w10 = 0, w11 = 0, w12 = 0, w13 = 0, w14 = 0, w15 = 0;
  let e = w * WINDOW_WORDS;
  for (let j = 1; j <= ENTRIES; j++, e += ENTRY_WORDS) {
    const m = -(((magnitude ^ j) - 1) >>> 31); // -1 when magnitude === j, else 0
    w0 |= entries[e]! & m;
    w1 |= entries[e + 1]! & m;
    w2 |= entries[e + 2]! & m;
    w3 |= entries[e + 3]! & m;
    w4 |= entries[e + 4]! & m;
    w5 |= entries[e + 5]! & m;
    w6 |= entries[e + 6]! & m;
    w7 |= entries[e + 7]! & m;
    w8 |= entries[e + 8]! & m;
    w9 |= entries[e + 9]! & m;
    w10 |= entries[e + 10]! & m;
    w11 |= entries[e + 11]! & m;
    w12 |= entries[e + 12]! & m;
    w13 |= entries[e + 13]! & m;
    w14 |= entries[e + 14]! & m;
    w15 |= entries[e + 15]! & m;
  }
  unpackWord(qx, 0, w0);
  unpackWord(qx, 2, w1);
  unpackWord(qx, 4, w2);
  unpackWord(qx, 6, w3);
  unpackWord(qx, 8, w4);
  unpackWord(qx, 10, w5);
  unpackWord(qx, 12, w6);
  unpackWord(qx, 14, w7);
  unpackWord(qy, 0, w8);
  unpackWord(qy, 2, w9);
  unpackWord(qy, 4, w10);
  unpackWord(qy, 6, w11);
  unpackWord(qy, 8, w12);
  unpackWord(qy, 10, w13);
  unpackWord(qy, 12, w14);
  unpackWord(qy, 14, w15);
}

/** Limbs i and i + 1 of o from a packed word (the inverse of packLimbs). */
function unpackWord(o: Fe, i: number, word: number): void {
  o[i] = word & 0xffff;
  o[i + 1] = word >>> 16;
}

const accumulator = projective();
const sum = projective();

/**
 * k * G in projective coordinates, for a 32-byte big-endian k (any value below 2^256). The
 * result is module scratch, valid until the next call.
 */
function multiplyBase(scalar: Uint8Array): Projective {
  const entries = table();
  recode(scalar);
  const acc = accumulator;
  acc.x.fill(0);
  acc.y.fill(0);
  acc.z.fill(0);
  acc.y[0] = 1; // the identity (0 : 1 : 0)
  for (let w = 0; w < WINDOWS; w++) {
    const digit = digits[w]!;
    const negative = digit >>> 31;
    const magnitude = (digit ^ -negative) + negative;
    selectEntry(entries, w, magnitude);
    feNeg(qyNegated, qy); // -(x, y) = (x, -y)
    feSelect(qy, qyNegated, -negative);
    // For a zero digit the entry is (0, 0), not a curve point: the sum is computed and dropped.
    addMixed(sum, acc, qx, qy);
    const keepSum = ((magnitude - 1) >>> 31) - 1; // 0 when magnitude === 0, else -1
    feSelect(acc.x, sum.x, keepSum);
    feSelect(acc.y, sum.y, keepSum);
    feSelect(acc.z, sum.z, keepSum);
  }
  digits.fill(0); // no trace of the nonce's digits in module scratch
  qx.fill(0);
  qy.fill(0);
  qyNegated.fill(0);
  return acc;
}

const zInverse = fe();
const coordinate = fe();

/** c / Z as canonical 32 big-endian bytes, for zInverse = 1/Z computed by the caller. */
function divideByZ(c: Fe): Uint8Array {
  feMul(coordinate, c, zInverse);
  return feToBytes(coordinate);
}

/** The scalar of 32 big-endian bytes, and back; fixed-length conversions. */
const bytesToScalar = (b: Uint8Array): bigint => bytesToNumberBE(b);
const WORD_SHIFTS = Array.from({ length: 8 }, (_, i) => BigInt(32 * i));
function scalarToBytes(k: bigint): Uint8Array {
  const out = new Uint8Array(32);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) view.setUint32(28 - 4 * i, Number(BigInt.asUintN(32, k >> WORD_SHIFTS[i]!)));
  return out;
}

/**
 * k * G for 1 <= k < n (32 bytes, big-endian) as an uncompressed SEC 1 point, 04 || x || y:
 * the fixed-base multiplication that signing uses, exported for tests and key generation.
 */
export function p256MultiplyBase(scalar: Uint8Array): Uint8Array {
  if (scalar.length !== 32) throw new Error('p256: 32-byte scalar expected');
  const k = bytesToScalar(scalar);
  if (k === 0n || k >= N) throw new Error('p256: scalar out of range');
  const point = multiplyBase(scalar);
  feInvert(zInverse, point.z);
  const out = new Uint8Array(65);
  out[0] = 4;
  out.set(divideByZ(point.x), 1);
  out.set(divideByZ(point.y), 33);
  return out;
}

/** A DER INTEGER for 0 < v < 2^256: minimal big-endian, a 0x00 first when the top bit is set. */
function derInteger(v: bigint): Uint8Array {
  const bytes = scalarToBytes(v);
  let start = 0;
  while (bytes[start] === 0) start++; // v is public (r or s)
  const pad = bytes[start]! >= 0x80 ? 1 : 0;
  const out = new Uint8Array(2 + pad + 32 - start);
  out[0] = 0x02;
  out[1] = pad + 32 - start;
  out.set(bytes.subarray(start), 2 + pad);
  return out;
}

/** ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } (RFC 3279 2.2.3); at most 72 bytes. */
function derSignature(r: bigint, s: bigint): Uint8Array {
  const ri = derInteger(r);
  const si = derInteger(s);
  const out = new Uint8Array(2 + ri.length + si.length);
  out[0] = 0x30;
  out[1] = ri.length + si.length; // <= 70: the short length form
  out.set(ri, 2);
  out.set(si, 2 + ri.length);
  return out;
}

/** A uniformly distributed scalar in [1, n - 1] from 64 bytes (bias below 2^-250). */
const wideToScalar = (wide: Uint8Array): bigint => (bytesToScalar(wide) % (N - 1n)) + 1n;

/**
 * ECDSA P-256 signature of a message hash (FIPS 186-5 6.4.1), DER-encoded: the same form as
 * @noble/curves' `p256.sign(hash, secret, { prehash: false, format: 'der', lowS: false })`.
 * `secret` is the private key d, 32 bytes big-endian, 1 <= d < n. The nonce is hedged as in
 * Go's crypto/ecdsa: k = SHA-512(d || 32 fresh random bytes || hash) reduced to [1, n - 1], so
 * a failing random source does not give the key away: with repeated random bytes the nonce is
 * still a secret function of d and the hash (deterministic, as in RFC 6979), never reused for
 * two different hashes.
 */
export function p256SignDer(
  secret: Uint8Array,
  hash: Uint8Array,
  random: (n: number) => Uint8Array = randomBytes,
): Uint8Array {
  if (secret.length !== 32) throw new Error('p256: 32-byte private key expected');
  const d = bytesToScalar(secret);
  if (d === 0n || d >= N) throw new Error('p256: private key out of range');
  // e = the leftmost 256 bits of the hash (FIPS 186-5 6.4.1 step 3; all of SHA-256's).
  const e = hash.length === 0 ? 0n : bytesToScalar(hash.length > 32 ? hash.subarray(0, 32) : hash);
  for (;;) {
    const seed = new Uint8Array(64 + hash.length);
    seed.set(secret, 0);
    seed.set(random(32), 32);
    seed.set(hash, 64);
    const k = wideToScalar(sha512(seed));
    seed.fill(0);
    const kBytes = scalarToBytes(k);
    const point = multiplyBase(kBytes);
    kBytes.fill(0);
    feInvert(zInverse, point.z); // Fermat: constant time
    const r = bytesToScalar(divideByZ(point.x)) % N;
    if (r === 0n) continue; // probability about 2^-256
    // k^-1 = (k b)^-1 b: the extended-Euclid inversion sees only the blinded k b.
    const blind = wideToScalar(random(64));
    const kInverse = (invert((k * blind) % N, N) * blind) % N;
    const s = (kInverse * ((e + r * d) % N)) % N;
    if (s === 0n) continue;
    return derSignature(r, s);
  }
}
