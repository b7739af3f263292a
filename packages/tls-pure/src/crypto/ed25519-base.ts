import { ed25519 } from '@noble/curves/ed25519.js';
import { type Fe, FE_LIMBS, feAdd, feInvert, feMul, feScratch, feSetSmall, feSub, feToBytes, feWipe } from './fe25519.js';

/**
 * Constant-time fixed-base scalar multiplication [k]B on ed25519 (the twisted Edwards curve
 * -x^2 + y^2 = 1 + d x^2 y^2 birationally equivalent to Curve25519, RFC 7748 section 4.1), in the
 * float64 field of fe25519.ts. Used for X25519 key generation: B maps to the Montgomery base point
 * u = 9, and u = (1 + y) / (1 - y) = (Z + Y) / (Z - Y).
 *
 * Method (ref10's ge_scalarmult_base, without its doublings):
 * - k < 2^255 is written in 64 signed radix-16 digits e[i] in [-8, 8], k = sum e[i] 16^i.
 * - Window i of the table holds j * 16^i * B for j = 1..8, so [k]B = sum over i of e[i] * 16^i * B:
 *   64 mixed additions and no doublings (ref10 keeps half the table, 32 windows of 256^i, and pays
 *   four doublings; 64 windows trade 184 KB of table for those doublings).
 * - Entries are affine "Niels" triples (y + x, y - x, 2d x y); the sum is kept in extended
 *   coordinates (X : Y : Z : T), x = X/Z, y = Y/Z, x y = T/Z, and each step is the mixed addition
 *   of Hisil, Wong, Carter, Dawson, "Twisted Edwards Curves Revisited" (Asiacrypt 2008), section
 *   3.1 with a = -1 and k = 2d (7 multiplications, "madd-2008-hwcd-3" in the EFD). These unified
 *   formulas are complete on ed25519 (a = -1 is a square mod p, d is not), so the identity,
 *   Niels (1, 1, 0), is a valid addend for a zero digit and no case needs a branch.
 * - The lookup reads all eight entries of the window and keeps the wanted one with an arithmetic
 *   mask; a negative digit negates the point (x -> -x: swap y + x and y - x, negate 2dxy), also by
 *   mask. The sequence of operations and memory accesses is the same for every scalar.
 */

const WINDOWS = 64;
const ENTRIES = 8;
const ENTRY_SIZE = 3 * FE_LIMBS; // y + x, y - x, 2dxy
const WINDOW_SIZE = ENTRIES * ENTRY_SIZE;

let table: Float64Array | undefined;

/**
 * Builds the table once, with @noble/curves' (BigInt) ed25519 point arithmetic: 512 points, put in
 * affine form with one batched inversion. About 10-20 ms, once per process, at the first key.
 */
function buildTable(): Float64Array {
  const Point = ed25519.Point;
  const Fp = Point.Fp;
  const d2 = Fp.mul(2n, Point.CURVE().d);
  const points: InstanceType<typeof Point>[] = [];
  let windowBase = Point.BASE; // 16^i * B
  for (let i = 0; i < WINDOWS; i++) {
    let multiple = windowBase;
    for (let j = 1; j <= ENTRIES; j++) {
      points.push(multiple);
      if (j < ENTRIES) multiple = multiple.add(windowBase);
    }
    windowBase = multiple.double(); // 16 * 16^i * B = 2 * (8 * 16^i * B)
  }
  const zInverses = Fp.invertBatch(points.map((p) => p.Z));
  const out = new Float64Array(WINDOWS * WINDOW_SIZE);
  // v < p, canonical: its 17-bit limbs straight from the BigInt (faster than via bytes).
  const put = (offset: number, v: bigint) => {
    for (let i = 0; i < FE_LIMBS; i++, v >>= 17n) out[offset + i] = Number(v & 0x1ffffn);
  };
  points.forEach((p, n) => {
    const x = Fp.mul(p.X, zInverses[n]!);
    const y = Fp.mul(p.Y, zInverses[n]!);
    const at = n * ENTRY_SIZE;
    put(at, Fp.add(y, x));
    put(at + FE_LIMBS, Fp.sub(y, x));
    put(at + 2 * FE_LIMBS, Fp.mul(d2, Fp.mul(x, y)));
  });
  return out;
}

/**
 * k (32 bytes little-endian, k < 2^255) as 64 signed radix-16 digits in [-8, 8] (ref10's
 * recoding): each nibble plus the carry in, moved to [-8, 7] with a carry out. The top nibble is
 * at most 7, so the last digit is at most 8 and needs no carry out. Branch-free.
 */
function signedRadix16(k: Uint8Array): Int8Array {
  const e = digitScratch;
  for (let i = 0; i < 32; i++) {
    e[2 * i] = k[i]! & 15;
    e[2 * i + 1] = k[i]! >>> 4;
  }
  let carry = 0;
  for (let i = 0; i < 63; i++) {
    const v = e[i]! + carry;
    carry = (v + 8) >> 4;
    e[i] = v - (carry << 4);
  }
  e[63] = e[63]! + carry;
  return e;
}

/**
 * Sets into (y + x | y - x | 2dxy, 45 limbs) to digit * 16^window * B in Niels form, reading
 * every entry of the window (constant time, see the file comment).
 */
function selectNiels(into: Fe, entries: Float64Array, window: number, digit: number): void {
  const negative = digit >>> 31; // 1 when digit < 0 (digit is a small int32)
  const magnitude = (digit ^ -negative) + negative; // |digit|, branch-free
  // hitJ = 1 exactly when magnitude === j, else 0: (magnitude ^ j) - 1 is negative only for 0.
  const hit0 = (magnitude - 1) >>> 31;
  const hit1 = ((magnitude ^ 1) - 1) >>> 31;
  const hit2 = ((magnitude ^ 2) - 1) >>> 31;
  const hit3 = ((magnitude ^ 3) - 1) >>> 31;
  const hit4 = ((magnitude ^ 4) - 1) >>> 31;
  const hit5 = ((magnitude ^ 5) - 1) >>> 31;
  const hit6 = ((magnitude ^ 6) - 1) >>> 31;
  const hit7 = ((magnitude ^ 7) - 1) >>> 31;
  const hit8 = ((magnitude ^ 8) - 1) >>> 31;
  // Exactly one of the nine flags is 1, so each limb is one table limb plus zeros (exact).
  let at = window * WINDOW_SIZE;
  for (let i = 0; i < ENTRY_SIZE; i++, at++) {
    into[i] =
      hit1 * entries[at]! +
      hit2 * entries[at + ENTRY_SIZE]! +
      hit3 * entries[at + 2 * ENTRY_SIZE]! +
      hit4 * entries[at + 3 * ENTRY_SIZE]! +
      hit5 * entries[at + 4 * ENTRY_SIZE]! +
      hit6 * entries[at + 5 * ENTRY_SIZE]! +
      hit7 * entries[at + 6 * ENTRY_SIZE]! +
      hit8 * entries[at + 7 * ENTRY_SIZE]!;
  }
  // Digit 0: the identity, Niels (1, 1, 0).
  into[0] = into[0]! + hit0;
  into[FE_LIMBS] = into[FE_LIMBS]! + hit0;
  // Negation when negative: swap y + x and y - x, 2dxy -> -2dxy.
  const flip = 1 - 2 * negative;
  for (let i = 0; i < FE_LIMBS; i++) {
    const plus = into[i]!;
    const minus = into[FE_LIMBS + i]!;
    const d = negative * (minus - plus);
    into[i] = plus + d;
    into[FE_LIMBS + i] = minus - d;
    into[2 * FE_LIMBS + i] = flip * into[2 * FE_LIMBS + i]!;
  }
}

/**
 * Writes to out the Montgomery u-coordinate of [k]B, the X25519 public key when k is the clamped
 * secret: u = (Z + Y) / (Z - Y), canonical, 32 bytes little-endian. k: 32 bytes little-endian with
 * the top bit clear (any clamped X25519 scalar). [k]B = [k mod L]B since B has prime order L, so
 * the clamped scalar needs no reduction; for k = 0 mod L (never a clamped scalar) the result is
 * the identity and u = 0, as the ladder gives.
 */
export function edwardsBaseMultipleToMontgomeryU(out: Uint8Array, k: Uint8Array): void {
  if (k.length !== 32 || k[31]! > 127) throw new Error('ed25519 base multiple: 32-byte scalar below 2^255 expected');
  const entries = (table ??= buildTable());
  const digits = signedRadix16(k);
  const [X, Y, Z, T, a, b, c, e, f, g, h] = sumScratch as Eleven<Fe>;
  // The sum, in extended coordinates, starts at the identity (0 : 1 : 1 : 0).
  X.fill(0);
  feSetSmall(Y, 1);
  feSetSmall(Z, 1);
  T.fill(0);
  // Limb bounds (fe25519.ts): X, Y, Z, T and all products are tight (|limb| <= 204033), table
  // limbs are in [0, 2^17) (negated: (-2^17, 0]), so every operand of feMul below has
  // |limb| <= 3 * 204033 < 2^20 (G = 2Z + C is the largest), inside the 2^21 feMul accepts.
  for (let w = 0; w < WINDOWS; w++) {
    selectNiels(selected, entries, w, digits[w]!);
    // HWCD 2008 section 3.1, mixed addition with k = 2d:
    feSub(a, Y, X);
    feMul(a, a, yMinusX); // A = (Y1 - X1)(y2 - x2)
    feAdd(b, Y, X);
    feMul(b, b, yPlusX); // B = (Y1 + X1)(y2 + x2)
    feMul(c, T, xy2d); // C = T1 * 2d x2 y2
    feSub(e, b, a); // E = B - A
    feAdd(h, b, a); // H = B + A
    feAdd(b, Z, Z); // D = 2 Z1
    feSub(f, b, c); // F = D - C
    feAdd(g, b, c); // G = D + C
    feMul(X, e, f); // X3 = E F
    feMul(Y, g, h); // Y3 = G H
    feMul(T, e, h); // T3 = E H
    feMul(Z, f, g); // Z3 = F G
  }
  feAdd(a, Z, Y);
  feSub(b, Z, Y);
  feInvert(b, b);
  feMul(a, a, b);
  feToBytes(out, a);
  digits.fill(0);
  selected.fill(0);
  feWipe(sumScratch);
}
type Eleven<T> = [T, T, T, T, T, T, T, T, T, T, T];
const sumScratch = feScratch(11);
const digitScratch = new Int8Array(WINDOWS);
/** The looked-up table entry (y + x | y - x | 2dxy) and views of its three parts. */
const selected = new Float64Array(ENTRY_SIZE);
const yPlusX = selected.subarray(0, FE_LIMBS);
const yMinusX = selected.subarray(FE_LIMBS, 2 * FE_LIMBS);
const xy2d = selected.subarray(2 * FE_LIMBS);
