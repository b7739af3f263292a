/**
 * Arithmetic in GF(2^255 - 19) on float64, shared by the X25519 ladder (x25519.ts) and the
 * ed25519 fixed-base multiplication (ed25519-base.ts).
 *
 * An element is 15 limbs of 17 bits in a Float64Array: value = sum a[i] * 2^(17 i). Since
 * 15 * 17 = 255 exactly, 2^255 = 19 (mod p) folds the upper half of a product back with a
 * factor 19 and no shifts. Limbs are signed integers and need not be reduced: a product of two
 * 17-bit limbs is below 2^34, a column of 15 (with the wrapped part times 19) below 2^43, leaving
 * ten bits of headroom under the 2^53 up to which doubles are exact integers. That headroom is
 * what the code spends:
 * - feAdd / feSub do no carrying at all; their results ("loose") go straight into feMul/feSqr.
 * - feMul / feSqr / feMulSmall(Add) do one carry pass (three interleaved chains, see the
 *   generator); their outputs are "tight": every limb in [-72962, 204033], so |limb| < 2^17.7
 *   (exact per-limb intervals in the generated block below).
 * - feMul / feSqr accept limbs up to 2^21 in absolute value, about ten tight elements added
 *   together. Callers stay far inside that: the ladder multiplies sums and differences of two
 *   tight elements (|limb| <= 408066 < 2^18.7), the Edwards addition at most 2 * tight + tight
 *   (|limb| <= 612099 < 2^19.3). test/x25519.test.ts checks all of it at the 2^21 bound.
 * Everything here is branch-free and index-independent of the values: the time taken depends only
 * on the public sizes. Float multiplications and additions on normal numbers (integers, never
 * subnormals) and Math.floor (roundsd) take constant time on current x86-64 and ARM64.
 */
export type Fe = Float64Array;

export const FE_LIMBS = 15;
const RADIX_BITS = 17;
const RADIX = 131072; // 2^17
const INV_RADIX = 7.62939453125e-6; // 2^-17
const LIMB_MASK = 0x1ffff;

export const feNew = (): Fe => new Float64Array(FE_LIMBS);

/**
 * count elements for a module's working storage, allocated once: allocating a dozen Float64Arrays
 * per operation cost about 5% of an X25519 operation. The operations here are synchronous and
 * never re-entered, so one set per module suffices; users wipe it (feWipe) before returning.
 */
export function feScratch(count: number): Fe[] {
  return Array.from({ length: count }, feNew);
}

/** Zeroes elements that held secret-dependent values. */
export function feWipe(elements: readonly Fe[]): void {
  for (const f of elements) f.fill(0);
}

/** o = v, a small non-negative integer (< 2^17). */
export function feSetSmall(o: Fe, v: number): void {
  o.fill(0);
  o[0] = v;
}

/** o = a + b, limb by limb, no carry (the sum is loose: feed it to feMul/feSqr). */
export function feAdd(o: Fe, a: Fe, b: Fe): void {
  for (let i = 0; i < FE_LIMBS; i++) o[i] = a[i]! + b[i]!;
}

/** o = a - b, limb by limb, no carry (limbs may go negative; the difference is loose). */
export function feSub(o: Fe, a: Fe, b: Fe): void {
  for (let i = 0; i < FE_LIMBS; i++) o[i] = a[i]! - b[i]!;
}

/** sum = a + b and difference = a - b in one pass, no carry (both loose). */
export function feSumDiff(sum: Fe, difference: Fe, a: Fe, b: Fe): void {
  for (let i = 0; i < FE_LIMBS; i++) {
    const x = a[i]!;
    const y = b[i]!;
    sum[i] = x + y;
    difference[i] = x - y;
  }
}

/**
 * Swaps a and b when bit is 1, leaves them when it is 0 (bit must be 0 or 1), without a branch or
 * a value-dependent memory access: d = bit * (a - b) is either 0 or a - b, exactly.
 */
export function feCswap(a: Fe, b: Fe, bit: number): void {
  for (let i = 0; i < FE_LIMBS; i++) {
    const d = bit * (a[i]! - b[i]!);
    a[i] = a[i]! - d;
    b[i] = b[i]! + d;
  }
}

/** o = a when bit is 1, unchanged when it is 0 (bit must be 0 or 1); constant time as feCswap. */
export function feCmov(o: Fe, a: Fe, bit: number): void {
  for (let i = 0; i < FE_LIMBS; i++) o[i] = o[i]! + bit * (a[i]! - o[i]!);
}

/** o = a^(2^n) (o may alias a). */
export function feSqrN(o: Fe, a: Fe, n: number): void {
  feSqr(o, a);
  for (let i = 1; i < n; i++) feSqr(o, o);
}

/**
 * o = z^(p - 2) = z^-1 (Fermat; 0 maps to 0), with ref10's addition chain for 2^255 - 21: 254
 * squarings and 11 multiplications. o may alias z.
 */
export function feInvert(o: Fe, z: Fe): void {
  const [z2, z9, z11, t, u, v] = invertScratch as [Fe, Fe, Fe, Fe, Fe, Fe];
  feSqr(z2, z); // 2
  feSqrN(t, z2, 2); // 8
  feMul(z9, t, z); // 9
  feMul(z11, z9, z2); // 11
  feSqr(t, z11); // 22
  feMul(t, t, z9); // 2^5 - 1
  feSqrN(u, t, 5);
  feMul(t, u, t); // 2^10 - 1
  feSqrN(u, t, 10);
  feMul(u, u, t); // 2^20 - 1
  feSqrN(v, u, 20);
  feMul(u, v, u); // 2^40 - 1
  feSqrN(u, u, 10);
  feMul(t, u, t); // 2^50 - 1
  feSqrN(u, t, 50);
  feMul(u, u, t); // 2^100 - 1
  feSqrN(v, u, 100);
  feMul(u, v, u); // 2^200 - 1
  feSqrN(u, u, 50);
  feMul(t, u, t); // 2^250 - 1
  feSqrN(t, t, 5); // 2^255 - 32
  feMul(o, t, z11); // 2^255 - 21
  feWipe(invertScratch);
}
const invertScratch = feScratch(6);

/**
 * Reads 32 little-endian bytes, ignoring the top bit (RFC 7748 section 5: "implementations of
 * X25519 MUST mask the most significant bit in the final byte"). Values in [p, 2^255) are
 * accepted unreduced, as RFC 7748 asks; the arithmetic is mod p anyway.
 */
export function feFromBytes(o: Fe, s: Uint8Array): void {
  for (let i = 0; i < FE_LIMBS; i++) {
    const bit = RADIX_BITS * i;
    const at = bit >>> 3;
    // 17 bits starting at bit (bit & 7) of byte `at` lie within three bytes (7 + 17 <= 24).
    const word = s[at]! | (s[at + 1]! << 8) | (s[at + 2]! << 16);
    o[i] = (word >>> (bit & 7)) & LIMB_MASK;
  }
}

/**
 * Writes the canonical 32-byte little-endian encoding of a (the representative in [0, p)). a may
 * be loose (|limb| < 2^21 - 304); it is not modified. As ref10's fe_tobytes: bring the limbs into
 * [0, 2^17) with the value in [0, 2^255), then subtract p exactly when value + 19 reaches 2^255.
 */
export function feToBytes(out: Uint8Array, a: Fe): void {
  const t = toBytesScratch;
  // Add 16p (limb 0: 16 * (2^17 - 19), the others 16 * (2^17 - 1)) so that every limb is positive.
  t[0] = a[0]! + 16 * (RADIX - 19);
  for (let i = 1; i < FE_LIMBS; i++) t[i] = a[i]! + 16 * (RADIX - 1);
  // Two carry passes with the carry out of limb 14 folded in times 19. After the first, limbs 1..14
  // are in [0, 2^17) and limb 0 below 2^17 + 2^11; after the second all are in [0, 2^17): a carry
  // can leave limb 14 only if limbs 1..14 were all 2^17 - 1 and become 0, and then limb 0 was
  // below 2^11 after its own carry, so adding 19 keeps it below 2^17.
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < FE_LIMBS - 1; i++) {
      const c = Math.floor(t[i]! * INV_RADIX);
      t[i] = t[i]! - c * RADIX;
      t[i + 1] = t[i + 1]! + c;
    }
    const c = Math.floor(t[FE_LIMBS - 1]! * INV_RADIX);
    t[FE_LIMBS - 1] = t[FE_LIMBS - 1]! - c * RADIX;
    t[0] = t[0] + 19 * c;
  }
  // value in [0, 2^255); q = 1 exactly when value >= p, i.e. value + 19 >= 2^255.
  let q = Math.floor((t[0] + 19) * INV_RADIX);
  for (let i = 1; i < FE_LIMBS; i++) q = Math.floor((t[i]! + q) * INV_RADIX);
  // value - q * p = value + 19 q - q 2^255: add 19 q, carry, drop the bit 2^255.
  t[0] = t[0] + 19 * q;
  for (let i = 0; i < FE_LIMBS - 1; i++) {
    const c = Math.floor(t[i]! * INV_RADIX);
    t[i] = t[i]! - c * RADIX;
    t[i + 1] = t[i + 1]! + c;
  }
  t[FE_LIMBS - 1] = t[FE_LIMBS - 1]! - Math.floor(t[FE_LIMBS - 1]! * INV_RADIX) * RADIX;
  // Pack 15 x 17 bits into 32 bytes; acc holds fewer than 8 + 17 bits.
  let acc = 0;
  let bits = 0;
  let at = 0;
  for (let i = 0; i < FE_LIMBS; i++) {
    acc |= t[i]! << bits;
    bits += RADIX_BITS;
    while (bits >= 8) {
      out[at++] = acc & 0xff;
      acc >>>= 8;
      bits -= 8;
    }
  }
  out[at] = acc; // the last 7 bits (bits 248..254); bit 255 is 0
  t.fill(0);
}
const toBytesScratch = feNew();

// BEGIN GENERATED by tools/gen-fe25519.mjs: do not edit by hand, edit the generator and rerun it.
//
// Bounds (exact interval arithmetic in the generator):
// - feMul / feSqr accept limbs |a[i]|, |b[i]| <= 2^21.00. A column then sums at most the
//   equivalent of 267 products (1 + 19 * 14 for column 0), every partial sum is below
//   2^50.06 < 2^53, so all of it is exact. Outputs: limbs in [-72962, 204033]
//   (limb 1 in [-72962, 204033], limb 6 in [-49921, 180992], limb 11 in [-26881, 157952]; every other limb in [0, 2^17 - 1]).
// - feMulSmall / feMulSmallAdd accept |k| <= 2^17.00, |a[i]|, |addend[i]| <= 2^21.00; largest intermediate
//   2^38.00; outputs in [-305, 131376] (limb 1 in [-305, 131376], limb 6 in [-17, 131088], limb 11 in [-17, 131088]).
// Carries: 6 rounds of interleaved independent carries (see the generator), the carry out
// of limb 14 folded into limb 0 times 19; floor(t * 2^-17) is exact since the scaling is by a power of two.

/** o = a * b mod 2^255 - 19 (o may alias a or b): 225 products, one carry pass. */
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
  const b1x19 = 19 * b1;
  const b2x19 = 19 * b2;
  const b3x19 = 19 * b3;
  const b4x19 = 19 * b4;
  const b5x19 = 19 * b5;
  const b6x19 = 19 * b6;
  const b7x19 = 19 * b7;
  const b8x19 = 19 * b8;
  const b9x19 = 19 * b9;
  const b10x19 = 19 * b10;
  const b11x19 = 19 * b11;
  const b12x19 = 19 * b12;
  const b13x19 = 19 * b13;
  const b14x19 = 19 * b14;
  let t0 = a0 * b0 + a1 * b14x19 + a2 * b13x19 + a3 * b12x19 + a4 * b11x19 + a5 * b10x19 + a6 * b9x19 + a7 * b8x19 + a8 * b7x19 + a9 * b6x19 + a10 * b5x19 + a11 * b4x19 + a12 * b3x19 + a13 * b2x19 + a14 * b1x19;
  let t1 = a0 * b1 + a1 * b0 + a2 * b14x19 + a3 * b13x19 + a4 * b12x19 + a5 * b11x19 + a6 * b10x19 + a7 * b9x19 + a8 * b8x19 + a9 * b7x19 + a10 * b6x19 + a11 * b5x19 + a12 * b4x19 + a13 * b3x19 + a14 * b2x19;
  let t2 = a0 * b2 + a1 * b1 + a2 * b0 + a3 * b14x19 + a4 * b13x19 + a5 * b12x19 + a6 * b11x19 + a7 * b10x19 + a8 * b9x19 + a9 * b8x19 + a10 * b7x19 + a11 * b6x19 + a12 * b5x19 + a13 * b4x19 + a14 * b3x19;
  let t3 = a0 * b3 + a1 * b2 + a2 * b1 + a3 * b0 + a4 * b14x19 + a5 * b13x19 + a6 * b12x19 + a7 * b11x19 + a8 * b10x19 + a9 * b9x19 + a10 * b8x19 + a11 * b7x19 + a12 * b6x19 + a13 * b5x19 + a14 * b4x19;
  let t4 = a0 * b4 + a1 * b3 + a2 * b2 + a3 * b1 + a4 * b0 + a5 * b14x19 + a6 * b13x19 + a7 * b12x19 + a8 * b11x19 + a9 * b10x19 + a10 * b9x19 + a11 * b8x19 + a12 * b7x19 + a13 * b6x19 + a14 * b5x19;
  let t5 = a0 * b5 + a1 * b4 + a2 * b3 + a3 * b2 + a4 * b1 + a5 * b0 + a6 * b14x19 + a7 * b13x19 + a8 * b12x19 + a9 * b11x19 + a10 * b10x19 + a11 * b9x19 + a12 * b8x19 + a13 * b7x19 + a14 * b6x19;
  let t6 = a0 * b6 + a1 * b5 + a2 * b4 + a3 * b3 + a4 * b2 + a5 * b1 + a6 * b0 + a7 * b14x19 + a8 * b13x19 + a9 * b12x19 + a10 * b11x19 + a11 * b10x19 + a12 * b9x19 + a13 * b8x19 + a14 * b7x19;
  let t7 = a0 * b7 + a1 * b6 + a2 * b5 + a3 * b4 + a4 * b3 + a5 * b2 + a6 * b1 + a7 * b0 + a8 * b14x19 + a9 * b13x19 + a10 * b12x19 + a11 * b11x19 + a12 * b10x19 + a13 * b9x19 + a14 * b8x19;
  let t8 = a0 * b8 + a1 * b7 + a2 * b6 + a3 * b5 + a4 * b4 + a5 * b3 + a6 * b2 + a7 * b1 + a8 * b0 + a9 * b14x19 + a10 * b13x19 + a11 * b12x19 + a12 * b11x19 + a13 * b10x19 + a14 * b9x19;
  let t9 = a0 * b9 + a1 * b8 + a2 * b7 + a3 * b6 + a4 * b5 + a5 * b4 + a6 * b3 + a7 * b2 + a8 * b1 + a9 * b0 + a10 * b14x19 + a11 * b13x19 + a12 * b12x19 + a13 * b11x19 + a14 * b10x19;
  let t10 = a0 * b10 + a1 * b9 + a2 * b8 + a3 * b7 + a4 * b6 + a5 * b5 + a6 * b4 + a7 * b3 + a8 * b2 + a9 * b1 + a10 * b0 + a11 * b14x19 + a12 * b13x19 + a13 * b12x19 + a14 * b11x19;
  let t11 = a0 * b11 + a1 * b10 + a2 * b9 + a3 * b8 + a4 * b7 + a5 * b6 + a6 * b5 + a7 * b4 + a8 * b3 + a9 * b2 + a10 * b1 + a11 * b0 + a12 * b14x19 + a13 * b13x19 + a14 * b12x19;
  let t12 = a0 * b12 + a1 * b11 + a2 * b10 + a3 * b9 + a4 * b8 + a5 * b7 + a6 * b6 + a7 * b5 + a8 * b4 + a9 * b3 + a10 * b2 + a11 * b1 + a12 * b0 + a13 * b14x19 + a14 * b13x19;
  let t13 = a0 * b13 + a1 * b12 + a2 * b11 + a3 * b10 + a4 * b9 + a5 * b8 + a6 * b7 + a7 * b6 + a8 * b5 + a9 * b4 + a10 * b3 + a11 * b2 + a12 * b1 + a13 * b0 + a14 * b14x19;
  let t14 = a0 * b14 + a1 * b13 + a2 * b12 + a3 * b11 + a4 * b10 + a5 * b9 + a6 * b8 + a7 * b7 + a8 * b6 + a9 * b5 + a10 * b4 + a11 * b3 + a12 * b2 + a13 * b1 + a14 * b0;
  let carryA: number, carryB: number, carryC: number; // the interleaved carry chains
  carryA = Math.floor(t0 * 7.62939453125e-6); t0 -= carryA * 131072; t1 += carryA;
  carryB = Math.floor(t5 * 7.62939453125e-6); t5 -= carryB * 131072; t6 += carryB;
  carryC = Math.floor(t10 * 7.62939453125e-6); t10 -= carryC * 131072; t11 += carryC;
  carryA = Math.floor(t1 * 7.62939453125e-6); t1 -= carryA * 131072; t2 += carryA;
  carryB = Math.floor(t6 * 7.62939453125e-6); t6 -= carryB * 131072; t7 += carryB;
  carryC = Math.floor(t11 * 7.62939453125e-6); t11 -= carryC * 131072; t12 += carryC;
  carryA = Math.floor(t2 * 7.62939453125e-6); t2 -= carryA * 131072; t3 += carryA;
  carryB = Math.floor(t7 * 7.62939453125e-6); t7 -= carryB * 131072; t8 += carryB;
  carryC = Math.floor(t12 * 7.62939453125e-6); t12 -= carryC * 131072; t13 += carryC;
  carryA = Math.floor(t3 * 7.62939453125e-6); t3 -= carryA * 131072; t4 += carryA;
  carryB = Math.floor(t8 * 7.62939453125e-6); t8 -= carryB * 131072; t9 += carryB;
  carryC = Math.floor(t13 * 7.62939453125e-6); t13 -= carryC * 131072; t14 += carryC;
  carryA = Math.floor(t4 * 7.62939453125e-6); t4 -= carryA * 131072; t5 += carryA;
  carryB = Math.floor(t9 * 7.62939453125e-6); t9 -= carryB * 131072; t10 += carryB;
  carryC = Math.floor(t14 * 7.62939453125e-6); t14 -= carryC * 131072; t0 += 19 * carryC;
  carryA = Math.floor(t5 * 7.62939453125e-6); t5 -= carryA * 131072; t6 += carryA;
  carryB = Math.floor(t10 * 7.62939453125e-6); t10 -= carryB * 131072; t11 += carryB;
  carryC = Math.floor(t0 * 7.62939453125e-6); t0 -= carryC * 131072; t1 += carryC;
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
}

/** o = a^2 mod 2^255 - 19 (o may alias a): 120 products, one carry pass. */
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
  const a0x2 = 2 * a0;
  const a1x2 = 2 * a1;
  const a2x2 = 2 * a2;
  const a3x2 = 2 * a3;
  const a4x2 = 2 * a4;
  const a5x2 = 2 * a5;
  const a6x2 = 2 * a6;
  const a8x19 = 19 * a8;
  const a9x19 = 19 * a9;
  const a10x19 = 19 * a10;
  const a11x19 = 19 * a11;
  const a12x19 = 19 * a12;
  const a13x19 = 19 * a13;
  const a14x19 = 19 * a14;
  const a8x38 = 38 * a8;
  const a9x38 = 38 * a9;
  const a10x38 = 38 * a10;
  const a11x38 = 38 * a11;
  const a12x38 = 38 * a12;
  const a13x38 = 38 * a13;
  const a14x38 = 38 * a14;
  let t0 = a0 * a0 + a1 * a14x38 + a2 * a13x38 + a3 * a12x38 + a4 * a11x38 + a5 * a10x38 + a6 * a9x38 + a7 * a8x38;
  let t1 = a0x2 * a1 + a2 * a14x38 + a3 * a13x38 + a4 * a12x38 + a5 * a11x38 + a6 * a10x38 + a7 * a9x38 + a8 * a8x19;
  let t2 = a0x2 * a2 + a1 * a1 + a3 * a14x38 + a4 * a13x38 + a5 * a12x38 + a6 * a11x38 + a7 * a10x38 + a8 * a9x38;
  let t3 = a0x2 * a3 + a1x2 * a2 + a4 * a14x38 + a5 * a13x38 + a6 * a12x38 + a7 * a11x38 + a8 * a10x38 + a9 * a9x19;
  let t4 = a0x2 * a4 + a1x2 * a3 + a2 * a2 + a5 * a14x38 + a6 * a13x38 + a7 * a12x38 + a8 * a11x38 + a9 * a10x38;
  let t5 = a0x2 * a5 + a1x2 * a4 + a2x2 * a3 + a6 * a14x38 + a7 * a13x38 + a8 * a12x38 + a9 * a11x38 + a10 * a10x19;
  let t6 = a0x2 * a6 + a1x2 * a5 + a2x2 * a4 + a3 * a3 + a7 * a14x38 + a8 * a13x38 + a9 * a12x38 + a10 * a11x38;
  let t7 = a0x2 * a7 + a1x2 * a6 + a2x2 * a5 + a3x2 * a4 + a8 * a14x38 + a9 * a13x38 + a10 * a12x38 + a11 * a11x19;
  let t8 = a0x2 * a8 + a1x2 * a7 + a2x2 * a6 + a3x2 * a5 + a4 * a4 + a9 * a14x38 + a10 * a13x38 + a11 * a12x38;
  let t9 = a0x2 * a9 + a1x2 * a8 + a2x2 * a7 + a3x2 * a6 + a4x2 * a5 + a10 * a14x38 + a11 * a13x38 + a12 * a12x19;
  let t10 = a0x2 * a10 + a1x2 * a9 + a2x2 * a8 + a3x2 * a7 + a4x2 * a6 + a5 * a5 + a11 * a14x38 + a12 * a13x38;
  let t11 = a0x2 * a11 + a1x2 * a10 + a2x2 * a9 + a3x2 * a8 + a4x2 * a7 + a5x2 * a6 + a12 * a14x38 + a13 * a13x19;
  let t12 = a0x2 * a12 + a1x2 * a11 + a2x2 * a10 + a3x2 * a9 + a4x2 * a8 + a5x2 * a7 + a6 * a6 + a13 * a14x38;
  let t13 = a0x2 * a13 + a1x2 * a12 + a2x2 * a11 + a3x2 * a10 + a4x2 * a9 + a5x2 * a8 + a6x2 * a7 + a14 * a14x19;
  let t14 = a0x2 * a14 + a1x2 * a13 + a2x2 * a12 + a3x2 * a11 + a4x2 * a10 + a5x2 * a9 + a6x2 * a8 + a7 * a7;
  let carryA: number, carryB: number, carryC: number; // the interleaved carry chains
  carryA = Math.floor(t0 * 7.62939453125e-6); t0 -= carryA * 131072; t1 += carryA;
  carryB = Math.floor(t5 * 7.62939453125e-6); t5 -= carryB * 131072; t6 += carryB;
  carryC = Math.floor(t10 * 7.62939453125e-6); t10 -= carryC * 131072; t11 += carryC;
  carryA = Math.floor(t1 * 7.62939453125e-6); t1 -= carryA * 131072; t2 += carryA;
  carryB = Math.floor(t6 * 7.62939453125e-6); t6 -= carryB * 131072; t7 += carryB;
  carryC = Math.floor(t11 * 7.62939453125e-6); t11 -= carryC * 131072; t12 += carryC;
  carryA = Math.floor(t2 * 7.62939453125e-6); t2 -= carryA * 131072; t3 += carryA;
  carryB = Math.floor(t7 * 7.62939453125e-6); t7 -= carryB * 131072; t8 += carryB;
  carryC = Math.floor(t12 * 7.62939453125e-6); t12 -= carryC * 131072; t13 += carryC;
  carryA = Math.floor(t3 * 7.62939453125e-6); t3 -= carryA * 131072; t4 += carryA;
  carryB = Math.floor(t8 * 7.62939453125e-6); t8 -= carryB * 131072; t9 += carryB;
  carryC = Math.floor(t13 * 7.62939453125e-6); t13 -= carryC * 131072; t14 += carryC;
  carryA = Math.floor(t4 * 7.62939453125e-6); t4 -= carryA * 131072; t5 += carryA;
  carryB = Math.floor(t9 * 7.62939453125e-6); t9 -= carryB * 131072; t10 += carryB;
  carryC = Math.floor(t14 * 7.62939453125e-6); t14 -= carryC * 131072; t0 += 19 * carryC;
  carryA = Math.floor(t5 * 7.62939453125e-6); t5 -= carryA * 131072; t6 += carryA;
  carryB = Math.floor(t10 * 7.62939453125e-6); t10 -= carryB * 131072; t11 += carryB;
  carryC = Math.floor(t0 * 7.62939453125e-6); t0 -= carryC * 131072; t1 += carryC;
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
}

/** o = a * k mod 2^255 - 19 for a small integer k (|k| <= 2^17), e.g. the ladder's a24 = 121665. */
export function feMulSmall(o: Fe, a: Fe, k: number): void {
  let t0 = a[0]! * k;
  let t1 = a[1]! * k;
  let t2 = a[2]! * k;
  let t3 = a[3]! * k;
  let t4 = a[4]! * k;
  let t5 = a[5]! * k;
  let t6 = a[6]! * k;
  let t7 = a[7]! * k;
  let t8 = a[8]! * k;
  let t9 = a[9]! * k;
  let t10 = a[10]! * k;
  let t11 = a[11]! * k;
  let t12 = a[12]! * k;
  let t13 = a[13]! * k;
  let t14 = a[14]! * k;
  let carryA: number, carryB: number, carryC: number; // the interleaved carry chains
  carryA = Math.floor(t0 * 7.62939453125e-6); t0 -= carryA * 131072; t1 += carryA;
  carryB = Math.floor(t5 * 7.62939453125e-6); t5 -= carryB * 131072; t6 += carryB;
  carryC = Math.floor(t10 * 7.62939453125e-6); t10 -= carryC * 131072; t11 += carryC;
  carryA = Math.floor(t1 * 7.62939453125e-6); t1 -= carryA * 131072; t2 += carryA;
  carryB = Math.floor(t6 * 7.62939453125e-6); t6 -= carryB * 131072; t7 += carryB;
  carryC = Math.floor(t11 * 7.62939453125e-6); t11 -= carryC * 131072; t12 += carryC;
  carryA = Math.floor(t2 * 7.62939453125e-6); t2 -= carryA * 131072; t3 += carryA;
  carryB = Math.floor(t7 * 7.62939453125e-6); t7 -= carryB * 131072; t8 += carryB;
  carryC = Math.floor(t12 * 7.62939453125e-6); t12 -= carryC * 131072; t13 += carryC;
  carryA = Math.floor(t3 * 7.62939453125e-6); t3 -= carryA * 131072; t4 += carryA;
  carryB = Math.floor(t8 * 7.62939453125e-6); t8 -= carryB * 131072; t9 += carryB;
  carryC = Math.floor(t13 * 7.62939453125e-6); t13 -= carryC * 131072; t14 += carryC;
  carryA = Math.floor(t4 * 7.62939453125e-6); t4 -= carryA * 131072; t5 += carryA;
  carryB = Math.floor(t9 * 7.62939453125e-6); t9 -= carryB * 131072; t10 += carryB;
  carryC = Math.floor(t14 * 7.62939453125e-6); t14 -= carryC * 131072; t0 += 19 * carryC;
  carryA = Math.floor(t5 * 7.62939453125e-6); t5 -= carryA * 131072; t6 += carryA;
  carryB = Math.floor(t10 * 7.62939453125e-6); t10 -= carryB * 131072; t11 += carryB;
  carryC = Math.floor(t0 * 7.62939453125e-6); t0 -= carryC * 131072; t1 += carryC;
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
}

/** o = a * k + addend mod 2^255 - 19 for a small integer k (|k| <= 2^17); o may alias a or addend. */
export function feMulSmallAdd(o: Fe, a: Fe, k: number, addend: Fe): void {
  let t0 = a[0]! * k + addend[0]!;
  let t1 = a[1]! * k + addend[1]!;
  let t2 = a[2]! * k + addend[2]!;
  let t3 = a[3]! * k + addend[3]!;
  let t4 = a[4]! * k + addend[4]!;
  let t5 = a[5]! * k + addend[5]!;
  let t6 = a[6]! * k + addend[6]!;
  let t7 = a[7]! * k + addend[7]!;
  let t8 = a[8]! * k + addend[8]!;
  let t9 = a[9]! * k + addend[9]!;
  let t10 = a[10]! * k + addend[10]!;
  let t11 = a[11]! * k + addend[11]!;
  let t12 = a[12]! * k + addend[12]!;
  let t13 = a[13]! * k + addend[13]!;
  let t14 = a[14]! * k + addend[14]!;
  let carryA: number, carryB: number, carryC: number; // the interleaved carry chains
  carryA = Math.floor(t0 * 7.62939453125e-6); t0 -= carryA * 131072; t1 += carryA;
  carryB = Math.floor(t5 * 7.62939453125e-6); t5 -= carryB * 131072; t6 += carryB;
  carryC = Math.floor(t10 * 7.62939453125e-6); t10 -= carryC * 131072; t11 += carryC;
  carryA = Math.floor(t1 * 7.62939453125e-6); t1 -= carryA * 131072; t2 += carryA;
  carryB = Math.floor(t6 * 7.62939453125e-6); t6 -= carryB * 131072; t7 += carryB;
  carryC = Math.floor(t11 * 7.62939453125e-6); t11 -= carryC * 131072; t12 += carryC;
  carryA = Math.floor(t2 * 7.62939453125e-6); t2 -= carryA * 131072; t3 += carryA;
  carryB = Math.floor(t7 * 7.62939453125e-6); t7 -= carryB * 131072; t8 += carryB;
  carryC = Math.floor(t12 * 7.62939453125e-6); t12 -= carryC * 131072; t13 += carryC;
  carryA = Math.floor(t3 * 7.62939453125e-6); t3 -= carryA * 131072; t4 += carryA;
  carryB = Math.floor(t8 * 7.62939453125e-6); t8 -= carryB * 131072; t9 += carryB;
  carryC = Math.floor(t13 * 7.62939453125e-6); t13 -= carryC * 131072; t14 += carryC;
  carryA = Math.floor(t4 * 7.62939453125e-6); t4 -= carryA * 131072; t5 += carryA;
  carryB = Math.floor(t9 * 7.62939453125e-6); t9 -= carryB * 131072; t10 += carryB;
  carryC = Math.floor(t14 * 7.62939453125e-6); t14 -= carryC * 131072; t0 += 19 * carryC;
  carryA = Math.floor(t5 * 7.62939453125e-6); t5 -= carryA * 131072; t6 += carryA;
  carryB = Math.floor(t10 * 7.62939453125e-6); t10 -= carryB * 131072; t11 += carryB;
  carryC = Math.floor(t0 * 7.62939453125e-6); t0 -= carryC * 131072; t1 += carryC;
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
}
// END GENERATED
