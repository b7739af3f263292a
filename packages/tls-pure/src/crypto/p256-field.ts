/**
 * Arithmetic in GF(p) for the NIST P-256 prime p = 2^256 - 2^224 + 2^192 + 2^96 - 1 (FIPS 186-5,
 * SP 800-186 section 3.2.1.3), in float64 limbs like src/crypto/x25519.ts: an element is sixteen
 * 16-bit limbs (limb i weighs 2^(16 i)) in a Float64Array. Limbs are signed and loosely reduced:
 * sums and differences are taken limb by limb without carrying, and feMul / feSqr accept any
 * inputs whose limbs are below 20 * 2^16 in magnitude; their outputs have limbs in
 * [-2, 2^16 + 2). The curve formulas in p256.ts feed them at most 15 * 2^16 per limb.
 *
 * Why every operation is exact: a product of two input limbs is below 400 * 2^32 and a column of
 * sixteen below 2^45; with the folds below, no intermediate exceeds 2^49.3 in magnitude (an
 * interval analysis of the generated code, carries included), so no double ever rounds.
 *
 * Reduction: p's terms all sit on 32-bit boundaries, so with 16-bit limbs
 * 2^256 = 2^224 - 2^192 - 2^96 + 1 (mod p) moves a column 16 + i to columns 14 + i (+),
 * 12 + i (-), 6 + i (-) and i (+), with no shifts. The columns are summed top-down so that each
 * upper column is complete (14 + i can land in the upper half again) when it is folded. A signed
 * carry pass then brings the limbs back to 16 bits, folding the carry out of limb 15 the same way,
 * and a short second pass carries the four limbs that fold touched. Math.floor of the exact
 * quotient by 2^16 is the floor division for negative limbs too.
 *
 * Nothing here branches on or indexes by a limb value: the code is the same sequence of float
 * operations for every input (constant time, as far as JavaScript allows), which the ECDSA
 * nonce in p256.ts needs. The multiplication and squaring are unrolled (generated code); product
 * scanning (column by column) with the folds interleaved was about 15% faster than operand
 * scanning with V8 (more of the 31 sums stay in registers).
 */
export type Fe = Float64Array;

/** A new field element, zero. */
export const fe = (): Fe => new Float64Array(16);

const LIMB = 65536;
const INV_LIMB = 1 / 65536; // exact: a power of two

/** p's limbs, least significant first. */
const P_LIMBS: readonly number[] = [
  0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0, 0, 0, 0, 0, 0, 1, 0, 0xffff, 0xffff,
];

/** o = a + b, limb by limb (no carry). */
export function feAdd(o: Fe, a: Fe, b: Fe): void {
  for (let i = 0; i < 16; i++) o[i] = a[i]! + b[i]!;
}

/** o = a - b, limb by limb (no carry; limbs may go negative). */
export function feSub(o: Fe, a: Fe, b: Fe): void {
  for (let i = 0; i < 16; i++) o[i] = a[i]! - b[i]!;
}

/** o = p - a, limb by limb: the negation, for a whose limbs are in [0, 2^16). */
export function feNeg(o: Fe, a: Fe): void {
  for (let i = 0; i < 16; i++) o[i] = P_LIMBS[i]! - a[i]!;
}

/** o = a * b mod p (o may alias a or b). */
export function feMul(o: Fe, a: Fe, b: Fe): void {
  const a0 = a[0]!;
  const a1 = a[1]!;
  const a2 = a[2]!;
  const a3 = a[3]!;
  const a4 = a[4]!;
  const a5 = a[5]!;
  const a6 = a[6]!;
  const a7 = a[7]!;
  const a8 = a[8]!;
  const a9 = a[9]!;
  const a10 = a[10]!;
  const a11 = a[11]!;
  const a12 = a[12]!;
  const a13 = a[13]!;
  const a14 = a[14]!;
  const a15 = a[15]!;
  const b0 = b[0]!;
  const b1 = b[1]!;
  const b2 = b[2]!;
  const b3 = b[3]!;
  const b4 = b[4]!;
  const b5 = b[5]!;
  const b6 = b[6]!;
  const b7 = b[7]!;
  const b8 = b[8]!;
  const b9 = b[9]!;
  const b10 = b[10]!;
  const b11 = b[11]!;
  const b12 = b[12]!;
  const b13 = b[13]!;
  const b14 = b[14]!;
  const b15 = b[15]!;
  // Columns top-down (product scanning); each upper column k = 16 + i, once complete (its
  // products plus what the folds of columns k + 2, k + 4 and k + 10 added), folds into the
  // lower columns: 2^256 = 2^224 - 2^192 - 2^96 + 1 (mod p) puts it in 14 + i, 12 + i, 6 + i, i.
  let t0 = 0;
  let t1 = 0;
  let t2 = 0;
  let t3 = 0;
  let t4 = 0;
  let t5 = 0;
  let t6 = 0;
  let t7 = 0;
  let t8 = 0;
  let t9 = 0;
  let t10 = 0;
  let t11 = 0;
  let t12 = 0;
  let t13 = 0;
  let t14 = 0;
  let t15 = 0;
  let t16 = 0;
  let t17 = 0;
  let t18 = 0;
  let t19 = 0;
  let t20 = 0;
  let t21 = 0;
  let t22 = 0;
  let t23 = 0;
  let t24 = 0;
  let t25 = 0;
  let t26 = 0;
  let t27 = 0;
  let t28 = 0;
  let t29 = 0;
  let t30 = 0;
  t30 += a15 * b15;
  t28 += t30; t26 -= t30; t20 -= t30; t14 += t30;
  t29 += a14 * b15 + a15 * b14;
  t27 += t29; t25 -= t29; t19 -= t29; t13 += t29;
  t28 += a13 * b15 + a14 * b14 + a15 * b13;
  t26 += t28; t24 -= t28; t18 -= t28; t12 += t28;
  t27 += a12 * b15 + a13 * b14 + a14 * b13 + a15 * b12;
  t25 += t27; t23 -= t27; t17 -= t27; t11 += t27;
  t26 += a11 * b15 + a12 * b14 + a13 * b13 + a14 * b12 + a15 * b11;
  t24 += t26; t22 -= t26; t16 -= t26; t10 += t26;
  t25 += a10 * b15 + a11 * b14 + a12 * b13 + a13 * b12 + a14 * b11 + a15 * b10;
  t23 += t25; t21 -= t25; t15 -= t25; t9 += t25;
  t24 += a9 * b15 + a10 * b14 + a11 * b13 + a12 * b12 + a13 * b11 + a14 * b10 + a15 * b9;
  t22 += t24; t20 -= t24; t14 -= t24; t8 += t24;
  t23 += a8 * b15 + a9 * b14 + a10 * b13 + a11 * b12 + a12 * b11 + a13 * b10 + a14 * b9 + a15 * b8;
  t21 += t23; t19 -= t23; t13 -= t23; t7 += t23;
  t22 += a7 * b15 + a8 * b14 + a9 * b13 + a10 * b12 + a11 * b11 + a12 * b10 + a13 * b9 + a14 * b8 + a15 * b7;
  t20 += t22; t18 -= t22; t12 -= t22; t6 += t22;
  t21 += a6 * b15 + a7 * b14 + a8 * b13 + a9 * b12 + a10 * b11 + a11 * b10 + a12 * b9 + a13 * b8 + a14 * b7 + a15 * b6;
  t19 += t21; t17 -= t21; t11 -= t21; t5 += t21;
  t20 += a5 * b15 + a6 * b14 + a7 * b13 + a8 * b12 + a9 * b11 + a10 * b10 + a11 * b9 + a12 * b8 + a13 * b7 + a14 * b6 + a15 * b5;
  t18 += t20; t16 -= t20; t10 -= t20; t4 += t20;
  t19 += a4 * b15 + a5 * b14 + a6 * b13 + a7 * b12 + a8 * b11 + a9 * b10 + a10 * b9 + a11 * b8 + a12 * b7 + a13 * b6 + a14 * b5 + a15 * b4;
  t17 += t19; t15 -= t19; t9 -= t19; t3 += t19;
  t18 += a3 * b15 + a4 * b14 + a5 * b13 + a6 * b12 + a7 * b11 + a8 * b10 + a9 * b9 + a10 * b8 + a11 * b7 + a12 * b6 + a13 * b5 + a14 * b4 + a15 * b3;
  t16 += t18; t14 -= t18; t8 -= t18; t2 += t18;
  t17 += a2 * b15 + a3 * b14 + a4 * b13 + a5 * b12 + a6 * b11 + a7 * b10 + a8 * b9 + a9 * b8 + a10 * b7 + a11 * b6 + a12 * b5 + a13 * b4 + a14 * b3 + a15 * b2;
  t15 += t17; t13 -= t17; t7 -= t17; t1 += t17;
  t16 += a1 * b15 + a2 * b14 + a3 * b13 + a4 * b12 + a5 * b11 + a6 * b10 + a7 * b9 + a8 * b8 + a9 * b7 + a10 * b6 + a11 * b5 + a12 * b4 + a13 * b3 + a14 * b2 + a15 * b1;
  t14 += t16; t12 -= t16; t6 -= t16; t0 += t16;
  t15 += a0 * b15 + a1 * b14 + a2 * b13 + a3 * b12 + a4 * b11 + a5 * b10 + a6 * b9 + a7 * b8 + a8 * b7 + a9 * b6 + a10 * b5 + a11 * b4 + a12 * b3 + a13 * b2 + a14 * b1 + a15 * b0;
  t14 += a0 * b14 + a1 * b13 + a2 * b12 + a3 * b11 + a4 * b10 + a5 * b9 + a6 * b8 + a7 * b7 + a8 * b6 + a9 * b5 + a10 * b4 + a11 * b3 + a12 * b2 + a13 * b1 + a14 * b0;
  t13 += a0 * b13 + a1 * b12 + a2 * b11 + a3 * b10 + a4 * b9 + a5 * b8 + a6 * b7 + a7 * b6 + a8 * b5 + a9 * b4 + a10 * b3 + a11 * b2 + a12 * b1 + a13 * b0;
  t12 += a0 * b12 + a1 * b11 + a2 * b10 + a3 * b9 + a4 * b8 + a5 * b7 + a6 * b6 + a7 * b5 + a8 * b4 + a9 * b3 + a10 * b2 + a11 * b1 + a12 * b0;
  t11 += a0 * b11 + a1 * b10 + a2 * b9 + a3 * b8 + a4 * b7 + a5 * b6 + a6 * b5 + a7 * b4 + a8 * b3 + a9 * b2 + a10 * b1 + a11 * b0;
  t10 += a0 * b10 + a1 * b9 + a2 * b8 + a3 * b7 + a4 * b6 + a5 * b5 + a6 * b4 + a7 * b3 + a8 * b2 + a9 * b1 + a10 * b0;
  t9 += a0 * b9 + a1 * b8 + a2 * b7 + a3 * b6 + a4 * b5 + a5 * b4 + a6 * b3 + a7 * b2 + a8 * b1 + a9 * b0;
  t8 += a0 * b8 + a1 * b7 + a2 * b6 + a3 * b5 + a4 * b4 + a5 * b3 + a6 * b2 + a7 * b1 + a8 * b0;
  t7 += a0 * b7 + a1 * b6 + a2 * b5 + a3 * b4 + a4 * b3 + a5 * b2 + a6 * b1 + a7 * b0;
  t6 += a0 * b6 + a1 * b5 + a2 * b4 + a3 * b3 + a4 * b2 + a5 * b1 + a6 * b0;
  t5 += a0 * b5 + a1 * b4 + a2 * b3 + a3 * b2 + a4 * b1 + a5 * b0;
  t4 += a0 * b4 + a1 * b3 + a2 * b2 + a3 * b1 + a4 * b0;
  t3 += a0 * b3 + a1 * b2 + a2 * b1 + a3 * b0;
  t2 += a0 * b2 + a1 * b1 + a2 * b0;
  t1 += a0 * b1 + a1 * b0;
  t0 += a0 * b0;
  // Carry all sixteen limbs (signed: floor division); the carry out of limb 15 (below 2^33)
  // folds back like a column 16.
  let c = Math.floor(t0 * INV_LIMB);
  t0 -= c * LIMB;
  t1 += c; c = Math.floor(t1 * INV_LIMB); t1 -= c * LIMB;
  t2 += c; c = Math.floor(t2 * INV_LIMB); t2 -= c * LIMB;
  t3 += c; c = Math.floor(t3 * INV_LIMB); t3 -= c * LIMB;
  t4 += c; c = Math.floor(t4 * INV_LIMB); t4 -= c * LIMB;
  t5 += c; c = Math.floor(t5 * INV_LIMB); t5 -= c * LIMB;
  t6 += c; c = Math.floor(t6 * INV_LIMB); t6 -= c * LIMB;
  t7 += c; c = Math.floor(t7 * INV_LIMB); t7 -= c * LIMB;
  t8 += c; c = Math.floor(t8 * INV_LIMB); t8 -= c * LIMB;
  t9 += c; c = Math.floor(t9 * INV_LIMB); t9 -= c * LIMB;
  t10 += c; c = Math.floor(t10 * INV_LIMB); t10 -= c * LIMB;
  t11 += c; c = Math.floor(t11 * INV_LIMB); t11 -= c * LIMB;
  t12 += c; c = Math.floor(t12 * INV_LIMB); t12 -= c * LIMB;
  t13 += c; c = Math.floor(t13 * INV_LIMB); t13 -= c * LIMB;
  t14 += c; c = Math.floor(t14 * INV_LIMB); t14 -= c * LIMB;
  t15 += c; c = Math.floor(t15 * INV_LIMB); t15 -= c * LIMB;
  t14 += c; t12 -= c; t6 -= c; t0 += c;
  // Only limbs 0, 6, 12 and 14 are out of range now: carry each two limbs up, 12 -> 15 first so
  // its (small) carry out folds into 6 and 0 before they are carried. Limbs 2, 8, 12 and 14
  // end in [-2, 2^16 + 2).
  c = Math.floor(t12 * INV_LIMB); t12 -= c * LIMB;
  t13 += c; c = Math.floor(t13 * INV_LIMB); t13 -= c * LIMB;
  t14 += c; c = Math.floor(t14 * INV_LIMB); t14 -= c * LIMB;
  t15 += c; c = Math.floor(t15 * INV_LIMB); t15 -= c * LIMB;
  t14 += c; t12 -= c; t6 -= c; t0 += c;
  c = Math.floor(t6 * INV_LIMB); t6 -= c * LIMB;
  t7 += c; c = Math.floor(t7 * INV_LIMB); t7 -= c * LIMB;
  t8 += c;
  c = Math.floor(t0 * INV_LIMB); t0 -= c * LIMB;
  t1 += c; c = Math.floor(t1 * INV_LIMB); t1 -= c * LIMB;
  t2 += c;
  o[0] = t0;
  o[1] = t1;
  o[2] = t2;
  o[3] = t3;
  o[4] = t4;
  o[5] = t5;
  o[6] = t6;
  o[7] = t7;
  o[8] = t8;
  o[9] = t9;
  o[10] = t10;
  o[11] = t11;
  o[12] = t12;
  o[13] = t13;
  o[14] = t14;
  o[15] = t15;
}

/** o = a^2 mod p (o may alias a): 136 products instead of 256. */
export function feSqr(o: Fe, a: Fe): void {
  const a0 = a[0]!;
  const a1 = a[1]!;
  const a2 = a[2]!;
  const a3 = a[3]!;
  const a4 = a[4]!;
  const a5 = a[5]!;
  const a6 = a[6]!;
  const a7 = a[7]!;
  const a8 = a[8]!;
  const a9 = a[9]!;
  const a10 = a[10]!;
  const a11 = a[11]!;
  const a12 = a[12]!;
  const a13 = a[13]!;
  const a14 = a[14]!;
  const a15 = a[15]!;
  const d0 = 2 * a0;
  const d1 = 2 * a1;
  const d2 = 2 * a2;
  const d3 = 2 * a3;
  const d4 = 2 * a4;
  const d5 = 2 * a5;
  const d6 = 2 * a6;
  const d7 = 2 * a7;
  const d8 = 2 * a8;
  const d9 = 2 * a9;
  const d10 = 2 * a10;
  const d11 = 2 * a11;
  const d12 = 2 * a12;
  const d13 = 2 * a13;
  const d14 = 2 * a14;
  // Columns top-down (product scanning); each upper column k = 16 + i, once complete (its
  // products plus what the folds of columns k + 2, k + 4 and k + 10 added), folds into the
  // lower columns: 2^256 = 2^224 - 2^192 - 2^96 + 1 (mod p) puts it in 14 + i, 12 + i, 6 + i, i.
  let t0 = 0;
  let t1 = 0;
  let t2 = 0;
  let t3 = 0;
  let t4 = 0;
  let t5 = 0;
  let t6 = 0;
  let t7 = 0;
  let t8 = 0;
  let t9 = 0;
  let t10 = 0;
  let t11 = 0;
  let t12 = 0;
  let t13 = 0;
  let t14 = 0;
  let t15 = 0;
  let t16 = 0;
  let t17 = 0;
  let t18 = 0;
  let t19 = 0;
  let t20 = 0;
  let t21 = 0;
  let t22 = 0;
  let t23 = 0;
  let t24 = 0;
  let t25 = 0;
  let t26 = 0;
  let t27 = 0;
  let t28 = 0;
  let t29 = 0;
  let t30 = 0;
  t30 += a15 * a15;
  t28 += t30; t26 -= t30; t20 -= t30; t14 += t30;
  t29 += d14 * a15;
  t27 += t29; t25 -= t29; t19 -= t29; t13 += t29;
  t28 += d13 * a15 + a14 * a14;
  t26 += t28; t24 -= t28; t18 -= t28; t12 += t28;
  t27 += d12 * a15 + d13 * a14;
  t25 += t27; t23 -= t27; t17 -= t27; t11 += t27;
  t26 += d11 * a15 + d12 * a14 + a13 * a13;
  t24 += t26; t22 -= t26; t16 -= t26; t10 += t26;
  t25 += d10 * a15 + d11 * a14 + d12 * a13;
  t23 += t25; t21 -= t25; t15 -= t25; t9 += t25;
  t24 += d9 * a15 + d10 * a14 + d11 * a13 + a12 * a12;
  t22 += t24; t20 -= t24; t14 -= t24; t8 += t24;
  t23 += d8 * a15 + d9 * a14 + d10 * a13 + d11 * a12;
  t21 += t23; t19 -= t23; t13 -= t23; t7 += t23;
  t22 += d7 * a15 + d8 * a14 + d9 * a13 + d10 * a12 + a11 * a11;
  t20 += t22; t18 -= t22; t12 -= t22; t6 += t22;
  t21 += d6 * a15 + d7 * a14 + d8 * a13 + d9 * a12 + d10 * a11;
  t19 += t21; t17 -= t21; t11 -= t21; t5 += t21;
  t20 += d5 * a15 + d6 * a14 + d7 * a13 + d8 * a12 + d9 * a11 + a10 * a10;
  t18 += t20; t16 -= t20; t10 -= t20; t4 += t20;
  t19 += d4 * a15 + d5 * a14 + d6 * a13 + d7 * a12 + d8 * a11 + d9 * a10;
  t17 += t19; t15 -= t19; t9 -= t19; t3 += t19;
  t18 += d3 * a15 + d4 * a14 + d5 * a13 + d6 * a12 + d7 * a11 + d8 * a10 + a9 * a9;
  t16 += t18; t14 -= t18; t8 -= t18; t2 += t18;
  t17 += d2 * a15 + d3 * a14 + d4 * a13 + d5 * a12 + d6 * a11 + d7 * a10 + d8 * a9;
  t15 += t17; t13 -= t17; t7 -= t17; t1 += t17;
  t16 += d1 * a15 + d2 * a14 + d3 * a13 + d4 * a12 + d5 * a11 + d6 * a10 + d7 * a9 + a8 * a8;
  t14 += t16; t12 -= t16; t6 -= t16; t0 += t16;
  t15 += d0 * a15 + d1 * a14 + d2 * a13 + d3 * a12 + d4 * a11 + d5 * a10 + d6 * a9 + d7 * a8;
  t14 += d0 * a14 + d1 * a13 + d2 * a12 + d3 * a11 + d4 * a10 + d5 * a9 + d6 * a8 + a7 * a7;
  t13 += d0 * a13 + d1 * a12 + d2 * a11 + d3 * a10 + d4 * a9 + d5 * a8 + d6 * a7;
  t12 += d0 * a12 + d1 * a11 + d2 * a10 + d3 * a9 + d4 * a8 + d5 * a7 + a6 * a6;
  t11 += d0 * a11 + d1 * a10 + d2 * a9 + d3 * a8 + d4 * a7 + d5 * a6;
  t10 += d0 * a10 + d1 * a9 + d2 * a8 + d3 * a7 + d4 * a6 + a5 * a5;
  t9 += d0 * a9 + d1 * a8 + d2 * a7 + d3 * a6 + d4 * a5;
  t8 += d0 * a8 + d1 * a7 + d2 * a6 + d3 * a5 + a4 * a4;
  t7 += d0 * a7 + d1 * a6 + d2 * a5 + d3 * a4;
  t6 += d0 * a6 + d1 * a5 + d2 * a4 + a3 * a3;
  t5 += d0 * a5 + d1 * a4 + d2 * a3;
  t4 += d0 * a4 + d1 * a3 + a2 * a2;
  t3 += d0 * a3 + d1 * a2;
  t2 += d0 * a2 + a1 * a1;
  t1 += d0 * a1;
  t0 += a0 * a0;
  // Carry all sixteen limbs (signed: floor division); the carry out of limb 15 (below 2^33)
  // folds back like a column 16.
  let c = Math.floor(t0 * INV_LIMB);
  t0 -= c * LIMB;
  t1 += c; c = Math.floor(t1 * INV_LIMB); t1 -= c * LIMB;
  t2 += c; c = Math.floor(t2 * INV_LIMB); t2 -= c * LIMB;
  t3 += c; c = Math.floor(t3 * INV_LIMB); t3 -= c * LIMB;
  t4 += c; c = Math.floor(t4 * INV_LIMB); t4 -= c * LIMB;
  t5 += c; c = Math.floor(t5 * INV_LIMB); t5 -= c * LIMB;
  t6 += c; c = Math.floor(t6 * INV_LIMB); t6 -= c * LIMB;
  t7 += c; c = Math.floor(t7 * INV_LIMB); t7 -= c * LIMB;
  t8 += c; c = Math.floor(t8 * INV_LIMB); t8 -= c * LIMB;
  t9 += c; c = Math.floor(t9 * INV_LIMB); t9 -= c * LIMB;
  t10 += c; c = Math.floor(t10 * INV_LIMB); t10 -= c * LIMB;
  t11 += c; c = Math.floor(t11 * INV_LIMB); t11 -= c * LIMB;
  t12 += c; c = Math.floor(t12 * INV_LIMB); t12 -= c * LIMB;
  t13 += c; c = Math.floor(t13 * INV_LIMB); t13 -= c * LIMB;
  t14 += c; c = Math.floor(t14 * INV_LIMB); t14 -= c * LIMB;
  t15 += c; c = Math.floor(t15 * INV_LIMB); t15 -= c * LIMB;
  t14 += c; t12 -= c; t6 -= c; t0 += c;
  // Only limbs 0, 6, 12 and 14 are out of range now: carry each two limbs up, 12 -> 15 first so
  // its (small) carry out folds into 6 and 0 before they are carried. Limbs 2, 8, 12 and 14
  // end in [-2, 2^16 + 2).
  c = Math.floor(t12 * INV_LIMB); t12 -= c * LIMB;
  t13 += c; c = Math.floor(t13 * INV_LIMB); t13 -= c * LIMB;
  t14 += c; c = Math.floor(t14 * INV_LIMB); t14 -= c * LIMB;
  t15 += c; c = Math.floor(t15 * INV_LIMB); t15 -= c * LIMB;
  t14 += c; t12 -= c; t6 -= c; t0 += c;
  c = Math.floor(t6 * INV_LIMB); t6 -= c * LIMB;
  t7 += c; c = Math.floor(t7 * INV_LIMB); t7 -= c * LIMB;
  t8 += c;
  c = Math.floor(t0 * INV_LIMB); t0 -= c * LIMB;
  t1 += c; c = Math.floor(t1 * INV_LIMB); t1 -= c * LIMB;
  t2 += c;
  o[0] = t0;
  o[1] = t1;
  o[2] = t2;
  o[3] = t3;
  o[4] = t4;
  o[5] = t5;
  o[6] = t6;
  o[7] = t7;
  o[8] = t8;
  o[9] = t9;
  o[10] = t10;
  o[11] = t11;
  o[12] = t12;
  o[13] = t13;
  o[14] = t14;
  o[15] = t15;
}


/** Squares x n times in place. */
function sqrN(x: Fe, n: number): void {
  for (let i = 0; i < n; i++) feSqr(x, x);
}

// Scratch for feInvert (single-threaded, never re-entered): no allocation per call.
const x2 = fe();
const x3 = fe();
const x6 = fe();
const x12 = fe();
const x15 = fe();
const x30 = fe();
const x32 = fe();
const power = fe();

/**
 * o = a^(p - 2) = a^-1 (Fermat; 0 maps to 0). p - 2 in 32-bit words, most significant first:
 * ffffffff 00000001 00000000 00000000 00000000 ffffffff ffffffff fffffffd, built from
 * x_k = a^(2^k - 1): 255 squarings and 12 multiplications, the same for every input.
 */
export function feInvert(o: Fe, a: Fe): void {
  feSqr(x2, a);
  feMul(x2, x2, a); // 2^2 - 1
  feSqr(x3, x2);
  feMul(x3, x3, a); // 2^3 - 1
  x6.set(x3);
  sqrN(x6, 3);
  feMul(x6, x6, x3); // 2^6 - 1
  x12.set(x6);
  sqrN(x12, 6);
  feMul(x12, x12, x6); // 2^12 - 1
  x15.set(x12);
  sqrN(x15, 3);
  feMul(x15, x15, x3); // 2^15 - 1
  x30.set(x15);
  sqrN(x30, 15);
  feMul(x30, x30, x15); // 2^30 - 1
  x32.set(x30);
  sqrN(x32, 2);
  feMul(x32, x32, x2); // 2^32 - 1: the word ffffffff
  const t = power;
  t.set(x32);
  sqrN(t, 32);
  feMul(t, t, a); // ffffffff 00000001
  sqrN(t, 96); // three zero words
  sqrN(t, 32);
  feMul(t, t, x32); // ffffffff
  sqrN(t, 32);
  feMul(t, t, x32); // ffffffff
  sqrN(t, 30);
  feMul(t, t, x30); // the top 30 ones of fffffffd
  sqrN(t, 2);
  feMul(o, t, a); // ...01
}

/** One signed carry pass over the limbs; the carry out of limb 15 folds back (2^256 mod p). */
function carryFold(t: Fe): void {
  let c = 0;
  for (let i = 0; i < 16; i++) {
    const v = t[i]! + c;
    c = Math.floor(v * INV_LIMB);
    t[i] = v - c * LIMB;
  }
  t[14] += c;
  t[12] -= c;
  t[6] -= c;
  t[0] += c;
}

const difference = fe();

/**
 * Reduces a (limbs below 2^22 in magnitude) in place to its canonical form: limbs in [0, 2^16),
 * value in [0, p). Three carry passes bring the value into [0, 2^256): the first leaves a carry
 * below 2^7, so the second's is -1, 0 or 1 and the third's is 0. Then p is subtracted once
 * (2^256 < 2p) and the difference kept by mask when it did not borrow.
 */
export function feCanonical(a: Fe): void {
  carryFold(a);
  carryFold(a);
  carryFold(a);
  const d = difference;
  let c = 0;
  for (let i = 0; i < 16; i++) {
    const v = a[i]! - P_LIMBS[i]! + c;
    c = Math.floor(v * INV_LIMB);
    d[i] = v - c * LIMB;
  }
  const keepDifference = -(c + 1); // c is -1 when a < p (borrow), 0 when a >= p
  for (let i = 0; i < 16; i++) a[i] = (a[i]! & ~keepDifference) | (d[i]! & keepDifference);
}

/** The field element of 32 big-endian bytes (not reduced: any value below 2^256). */
export function feFromBytes(o: Fe, bytes: Uint8Array): void {
  if (bytes.length !== 32) throw new Error('p256: 32-byte field element expected');
  for (let i = 0; i < 16; i++) o[i] = bytes[31 - 2 * i]! | (bytes[30 - 2 * i]! << 8);
}

const encoded = fe();

/** The canonical 32 big-endian bytes of a (limbs below 2^22 in magnitude; a is left as is). */
export function feToBytes(a: Fe): Uint8Array {
  const t = encoded;
  t.set(a);
  feCanonical(t);
  const out = new Uint8Array(32);
  for (let i = 0; i < 16; i++) {
    out[31 - 2 * i] = t[i]! & 0xff;
    out[30 - 2 * i] = t[i]! >>> 8;
  }
  return out;
}
