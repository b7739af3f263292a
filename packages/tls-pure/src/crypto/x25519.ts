import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToNumberLE, numberToBytesLE } from '@noble/curves/utils.js';
/**
 * X25519 (RFC 7748) in float64 arithmetic, after TweetNaCl: field elements of GF(2^255 - 19) in
 * sixteen 16-bit limbs held in Float64Arrays, so every partial product (< 2^34 once carried) and
 * every column sum (times 38 when it wraps past 2^256) is an exact double. The Montgomery ladder
 * swaps in constant time (masked XOR, no branch on key bits); the final inversion uses the
 * addition chain of ref10 (254 squarings, 11 multiplications). About 3-4x @noble/curves' BigInt
 * ladder, which was the largest single cost of a TLS 1.3 handshake with the pure provider.
 * The multiplication is unrolled (generated code); checked against @noble/curves and the
 * RFC 7748 vectors in test/x25519.test.ts.
 */
type Fe = Float64Array;
const fe = (): Fe => new Float64Array(16);

function car(o: Fe): void {
  let c = 1;
  for (let i = 0; i < 16; i++) {
    const v = o[i]! + c + 65535;
    c = Math.floor(v / 65536);
    o[i] = v - c * 65536;
  }
  o[0] += c - 1 + 37 * (c - 1);
}

/** Swaps p and q when b is 1, without branching on b. */
function sel(p: Fe, q: Fe, b: number): void {
  const c = ~(b - 1);
  for (let i = 0; i < 16; i++) {
    const t = c & (p[i]! ^ q[i]!);
    p[i] = p[i]! ^ t;
    q[i] = q[i]! ^ t;
  }
}

function add(o: Fe, a: Fe, b: Fe): void {
  for (let i = 0; i < 16; i++) o[i] = a[i]! + b[i]!;
}

function sub(o: Fe, a: Fe, b: Fe): void {
  for (let i = 0; i < 16; i++) o[i] = a[i]! - b[i]!;
}

/** o = a * b mod 2^255 - 19 (o may alias a or b). */
function mul(o: Fe, a: Fe, b: Fe): void {
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
  let v = 0;
  v = a[0]!;
  t0 += v * b0; t1 += v * b1; t2 += v * b2; t3 += v * b3; t4 += v * b4; t5 += v * b5; t6 += v * b6; t7 += v * b7; t8 += v * b8; t9 += v * b9; t10 += v * b10; t11 += v * b11; t12 += v * b12; t13 += v * b13; t14 += v * b14; t15 += v * b15;
  v = a[1]!;
  t1 += v * b0; t2 += v * b1; t3 += v * b2; t4 += v * b3; t5 += v * b4; t6 += v * b5; t7 += v * b6; t8 += v * b7; t9 += v * b8; t10 += v * b9; t11 += v * b10; t12 += v * b11; t13 += v * b12; t14 += v * b13; t15 += v * b14; t16 += v * b15;
  v = a[2]!;
  t2 += v * b0; t3 += v * b1; t4 += v * b2; t5 += v * b3; t6 += v * b4; t7 += v * b5; t8 += v * b6; t9 += v * b7; t10 += v * b8; t11 += v * b9; t12 += v * b10; t13 += v * b11; t14 += v * b12; t15 += v * b13; t16 += v * b14; t17 += v * b15;
  v = a[3]!;
  t3 += v * b0; t4 += v * b1; t5 += v * b2; t6 += v * b3; t7 += v * b4; t8 += v * b5; t9 += v * b6; t10 += v * b7; t11 += v * b8; t12 += v * b9; t13 += v * b10; t14 += v * b11; t15 += v * b12; t16 += v * b13; t17 += v * b14; t18 += v * b15;
  v = a[4]!;
  t4 += v * b0; t5 += v * b1; t6 += v * b2; t7 += v * b3; t8 += v * b4; t9 += v * b5; t10 += v * b6; t11 += v * b7; t12 += v * b8; t13 += v * b9; t14 += v * b10; t15 += v * b11; t16 += v * b12; t17 += v * b13; t18 += v * b14; t19 += v * b15;
  v = a[5]!;
  t5 += v * b0; t6 += v * b1; t7 += v * b2; t8 += v * b3; t9 += v * b4; t10 += v * b5; t11 += v * b6; t12 += v * b7; t13 += v * b8; t14 += v * b9; t15 += v * b10; t16 += v * b11; t17 += v * b12; t18 += v * b13; t19 += v * b14; t20 += v * b15;
  v = a[6]!;
  t6 += v * b0; t7 += v * b1; t8 += v * b2; t9 += v * b3; t10 += v * b4; t11 += v * b5; t12 += v * b6; t13 += v * b7; t14 += v * b8; t15 += v * b9; t16 += v * b10; t17 += v * b11; t18 += v * b12; t19 += v * b13; t20 += v * b14; t21 += v * b15;
  v = a[7]!;
  t7 += v * b0; t8 += v * b1; t9 += v * b2; t10 += v * b3; t11 += v * b4; t12 += v * b5; t13 += v * b6; t14 += v * b7; t15 += v * b8; t16 += v * b9; t17 += v * b10; t18 += v * b11; t19 += v * b12; t20 += v * b13; t21 += v * b14; t22 += v * b15;
  v = a[8]!;
  t8 += v * b0; t9 += v * b1; t10 += v * b2; t11 += v * b3; t12 += v * b4; t13 += v * b5; t14 += v * b6; t15 += v * b7; t16 += v * b8; t17 += v * b9; t18 += v * b10; t19 += v * b11; t20 += v * b12; t21 += v * b13; t22 += v * b14; t23 += v * b15;
  v = a[9]!;
  t9 += v * b0; t10 += v * b1; t11 += v * b2; t12 += v * b3; t13 += v * b4; t14 += v * b5; t15 += v * b6; t16 += v * b7; t17 += v * b8; t18 += v * b9; t19 += v * b10; t20 += v * b11; t21 += v * b12; t22 += v * b13; t23 += v * b14; t24 += v * b15;
  v = a[10]!;
  t10 += v * b0; t11 += v * b1; t12 += v * b2; t13 += v * b3; t14 += v * b4; t15 += v * b5; t16 += v * b6; t17 += v * b7; t18 += v * b8; t19 += v * b9; t20 += v * b10; t21 += v * b11; t22 += v * b12; t23 += v * b13; t24 += v * b14; t25 += v * b15;
  v = a[11]!;
  t11 += v * b0; t12 += v * b1; t13 += v * b2; t14 += v * b3; t15 += v * b4; t16 += v * b5; t17 += v * b6; t18 += v * b7; t19 += v * b8; t20 += v * b9; t21 += v * b10; t22 += v * b11; t23 += v * b12; t24 += v * b13; t25 += v * b14; t26 += v * b15;
  v = a[12]!;
  t12 += v * b0; t13 += v * b1; t14 += v * b2; t15 += v * b3; t16 += v * b4; t17 += v * b5; t18 += v * b6; t19 += v * b7; t20 += v * b8; t21 += v * b9; t22 += v * b10; t23 += v * b11; t24 += v * b12; t25 += v * b13; t26 += v * b14; t27 += v * b15;
  v = a[13]!;
  t13 += v * b0; t14 += v * b1; t15 += v * b2; t16 += v * b3; t17 += v * b4; t18 += v * b5; t19 += v * b6; t20 += v * b7; t21 += v * b8; t22 += v * b9; t23 += v * b10; t24 += v * b11; t25 += v * b12; t26 += v * b13; t27 += v * b14; t28 += v * b15;
  v = a[14]!;
  t14 += v * b0; t15 += v * b1; t16 += v * b2; t17 += v * b3; t18 += v * b4; t19 += v * b5; t20 += v * b6; t21 += v * b7; t22 += v * b8; t23 += v * b9; t24 += v * b10; t25 += v * b11; t26 += v * b12; t27 += v * b13; t28 += v * b14; t29 += v * b15;
  v = a[15]!;
  t15 += v * b0; t16 += v * b1; t17 += v * b2; t18 += v * b3; t19 += v * b4; t20 += v * b5; t21 += v * b6; t22 += v * b7; t23 += v * b8; t24 += v * b9; t25 += v * b10; t26 += v * b11; t27 += v * b12; t28 += v * b13; t29 += v * b14; t30 += v * b15;
  t0 += 38 * t16;
  t1 += 38 * t17;
  t2 += 38 * t18;
  t3 += 38 * t19;
  t4 += 38 * t20;
  t5 += 38 * t21;
  t6 += 38 * t22;
  t7 += 38 * t23;
  t8 += 38 * t24;
  t9 += 38 * t25;
  t10 += 38 * t26;
  t11 += 38 * t27;
  t12 += 38 * t28;
  t13 += 38 * t29;
  t14 += 38 * t30;
  let c = 1;
  v = t0 + c + 65535; c = Math.floor(v / 65536); t0 = v - c * 65536;
  v = t1 + c + 65535; c = Math.floor(v / 65536); t1 = v - c * 65536;
  v = t2 + c + 65535; c = Math.floor(v / 65536); t2 = v - c * 65536;
  v = t3 + c + 65535; c = Math.floor(v / 65536); t3 = v - c * 65536;
  v = t4 + c + 65535; c = Math.floor(v / 65536); t4 = v - c * 65536;
  v = t5 + c + 65535; c = Math.floor(v / 65536); t5 = v - c * 65536;
  v = t6 + c + 65535; c = Math.floor(v / 65536); t6 = v - c * 65536;
  v = t7 + c + 65535; c = Math.floor(v / 65536); t7 = v - c * 65536;
  v = t8 + c + 65535; c = Math.floor(v / 65536); t8 = v - c * 65536;
  v = t9 + c + 65535; c = Math.floor(v / 65536); t9 = v - c * 65536;
  v = t10 + c + 65535; c = Math.floor(v / 65536); t10 = v - c * 65536;
  v = t11 + c + 65535; c = Math.floor(v / 65536); t11 = v - c * 65536;
  v = t12 + c + 65535; c = Math.floor(v / 65536); t12 = v - c * 65536;
  v = t13 + c + 65535; c = Math.floor(v / 65536); t13 = v - c * 65536;
  v = t14 + c + 65535; c = Math.floor(v / 65536); t14 = v - c * 65536;
  v = t15 + c + 65535; c = Math.floor(v / 65536); t15 = v - c * 65536;
  t0 += c - 1 + 37 * (c - 1);
  c = 1;
  v = t0 + c + 65535; c = Math.floor(v / 65536); t0 = v - c * 65536;
  v = t1 + c + 65535; c = Math.floor(v / 65536); t1 = v - c * 65536;
  v = t2 + c + 65535; c = Math.floor(v / 65536); t2 = v - c * 65536;
  v = t3 + c + 65535; c = Math.floor(v / 65536); t3 = v - c * 65536;
  v = t4 + c + 65535; c = Math.floor(v / 65536); t4 = v - c * 65536;
  v = t5 + c + 65535; c = Math.floor(v / 65536); t5 = v - c * 65536;
  v = t6 + c + 65535; c = Math.floor(v / 65536); t6 = v - c * 65536;
  v = t7 + c + 65535; c = Math.floor(v / 65536); t7 = v - c * 65536;
  v = t8 + c + 65535; c = Math.floor(v / 65536); t8 = v - c * 65536;
  v = t9 + c + 65535; c = Math.floor(v / 65536); t9 = v - c * 65536;
  v = t10 + c + 65535; c = Math.floor(v / 65536); t10 = v - c * 65536;
  v = t11 + c + 65535; c = Math.floor(v / 65536); t11 = v - c * 65536;
  v = t12 + c + 65535; c = Math.floor(v / 65536); t12 = v - c * 65536;
  v = t13 + c + 65535; c = Math.floor(v / 65536); t13 = v - c * 65536;
  v = t14 + c + 65535; c = Math.floor(v / 65536); t14 = v - c * 65536;
  v = t15 + c + 65535; c = Math.floor(v / 65536); t15 = v - c * 65536;
  t0 += c - 1 + 37 * (c - 1);
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
/** o = a^2 mod 2^255 - 19 (o may alias a): 136 products instead of 256. */
function sqr(o: Fe, a: Fe): void {
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
  const d15 = 2 * a15;
  let t0 = a0 * a0;
  let t1 = d0 * a1;
  let t2 = d0 * a2 + a1 * a1;
  let t3 = d0 * a3 + d1 * a2;
  let t4 = d0 * a4 + d1 * a3 + a2 * a2;
  let t5 = d0 * a5 + d1 * a4 + d2 * a3;
  let t6 = d0 * a6 + d1 * a5 + d2 * a4 + a3 * a3;
  let t7 = d0 * a7 + d1 * a6 + d2 * a5 + d3 * a4;
  let t8 = d0 * a8 + d1 * a7 + d2 * a6 + d3 * a5 + a4 * a4;
  let t9 = d0 * a9 + d1 * a8 + d2 * a7 + d3 * a6 + d4 * a5;
  let t10 = d0 * a10 + d1 * a9 + d2 * a8 + d3 * a7 + d4 * a6 + a5 * a5;
  let t11 = d0 * a11 + d1 * a10 + d2 * a9 + d3 * a8 + d4 * a7 + d5 * a6;
  let t12 = d0 * a12 + d1 * a11 + d2 * a10 + d3 * a9 + d4 * a8 + d5 * a7 + a6 * a6;
  let t13 = d0 * a13 + d1 * a12 + d2 * a11 + d3 * a10 + d4 * a9 + d5 * a8 + d6 * a7;
  let t14 = d0 * a14 + d1 * a13 + d2 * a12 + d3 * a11 + d4 * a10 + d5 * a9 + d6 * a8 + a7 * a7;
  let t15 = d0 * a15 + d1 * a14 + d2 * a13 + d3 * a12 + d4 * a11 + d5 * a10 + d6 * a9 + d7 * a8;
  let t16 = d1 * a15 + d2 * a14 + d3 * a13 + d4 * a12 + d5 * a11 + d6 * a10 + d7 * a9 + a8 * a8;
  let t17 = d2 * a15 + d3 * a14 + d4 * a13 + d5 * a12 + d6 * a11 + d7 * a10 + d8 * a9;
  let t18 = d3 * a15 + d4 * a14 + d5 * a13 + d6 * a12 + d7 * a11 + d8 * a10 + a9 * a9;
  let t19 = d4 * a15 + d5 * a14 + d6 * a13 + d7 * a12 + d8 * a11 + d9 * a10;
  let t20 = d5 * a15 + d6 * a14 + d7 * a13 + d8 * a12 + d9 * a11 + a10 * a10;
  let t21 = d6 * a15 + d7 * a14 + d8 * a13 + d9 * a12 + d10 * a11;
  let t22 = d7 * a15 + d8 * a14 + d9 * a13 + d10 * a12 + a11 * a11;
  let t23 = d8 * a15 + d9 * a14 + d10 * a13 + d11 * a12;
  let t24 = d9 * a15 + d10 * a14 + d11 * a13 + a12 * a12;
  let t25 = d10 * a15 + d11 * a14 + d12 * a13;
  let t26 = d11 * a15 + d12 * a14 + a13 * a13;
  let t27 = d12 * a15 + d13 * a14;
  let t28 = d13 * a15 + a14 * a14;
  let t29 = d14 * a15;
  let t30 = a15 * a15;
  let v = 0;
  t0 += 38 * t16;
  t1 += 38 * t17;
  t2 += 38 * t18;
  t3 += 38 * t19;
  t4 += 38 * t20;
  t5 += 38 * t21;
  t6 += 38 * t22;
  t7 += 38 * t23;
  t8 += 38 * t24;
  t9 += 38 * t25;
  t10 += 38 * t26;
  t11 += 38 * t27;
  t12 += 38 * t28;
  t13 += 38 * t29;
  t14 += 38 * t30;
  let c = 1;
  v = t0 + c + 65535; c = Math.floor(v / 65536); t0 = v - c * 65536;
  v = t1 + c + 65535; c = Math.floor(v / 65536); t1 = v - c * 65536;
  v = t2 + c + 65535; c = Math.floor(v / 65536); t2 = v - c * 65536;
  v = t3 + c + 65535; c = Math.floor(v / 65536); t3 = v - c * 65536;
  v = t4 + c + 65535; c = Math.floor(v / 65536); t4 = v - c * 65536;
  v = t5 + c + 65535; c = Math.floor(v / 65536); t5 = v - c * 65536;
  v = t6 + c + 65535; c = Math.floor(v / 65536); t6 = v - c * 65536;
  v = t7 + c + 65535; c = Math.floor(v / 65536); t7 = v - c * 65536;
  v = t8 + c + 65535; c = Math.floor(v / 65536); t8 = v - c * 65536;
  v = t9 + c + 65535; c = Math.floor(v / 65536); t9 = v - c * 65536;
  v = t10 + c + 65535; c = Math.floor(v / 65536); t10 = v - c * 65536;
  v = t11 + c + 65535; c = Math.floor(v / 65536); t11 = v - c * 65536;
  v = t12 + c + 65535; c = Math.floor(v / 65536); t12 = v - c * 65536;
  v = t13 + c + 65535; c = Math.floor(v / 65536); t13 = v - c * 65536;
  v = t14 + c + 65535; c = Math.floor(v / 65536); t14 = v - c * 65536;
  v = t15 + c + 65535; c = Math.floor(v / 65536); t15 = v - c * 65536;
  t0 += c - 1 + 37 * (c - 1);
  c = 1;
  v = t0 + c + 65535; c = Math.floor(v / 65536); t0 = v - c * 65536;
  v = t1 + c + 65535; c = Math.floor(v / 65536); t1 = v - c * 65536;
  v = t2 + c + 65535; c = Math.floor(v / 65536); t2 = v - c * 65536;
  v = t3 + c + 65535; c = Math.floor(v / 65536); t3 = v - c * 65536;
  v = t4 + c + 65535; c = Math.floor(v / 65536); t4 = v - c * 65536;
  v = t5 + c + 65535; c = Math.floor(v / 65536); t5 = v - c * 65536;
  v = t6 + c + 65535; c = Math.floor(v / 65536); t6 = v - c * 65536;
  v = t7 + c + 65535; c = Math.floor(v / 65536); t7 = v - c * 65536;
  v = t8 + c + 65535; c = Math.floor(v / 65536); t8 = v - c * 65536;
  v = t9 + c + 65535; c = Math.floor(v / 65536); t9 = v - c * 65536;
  v = t10 + c + 65535; c = Math.floor(v / 65536); t10 = v - c * 65536;
  v = t11 + c + 65535; c = Math.floor(v / 65536); t11 = v - c * 65536;
  v = t12 + c + 65535; c = Math.floor(v / 65536); t12 = v - c * 65536;
  v = t13 + c + 65535; c = Math.floor(v / 65536); t13 = v - c * 65536;
  v = t14 + c + 65535; c = Math.floor(v / 65536); t14 = v - c * 65536;
  v = t15 + c + 65535; c = Math.floor(v / 65536); t15 = v - c * 65536;
  t0 += c - 1 + 37 * (c - 1);
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

/** o = a * 121665 ((486662 - 2) / 4, the ladder's a24); products < 2^35, exact. */
function mulA24(o: Fe, a: Fe): void {
  for (let i = 0; i < 16; i++) o[i] = a[i]! * 121665;
  car(o);
  car(o);
}

/** o = a^(p - 2) = a^-1 (ref10's addition chain for 2^255 - 21). */
function invert(o: Fe, z: Fe): void {
  const t0 = fe();
  const t1 = fe();
  const t2 = fe();
  const t3 = fe();
  const sqrN = (x: Fe, n: number) => {
    for (let i = 0; i < n; i++) sqr(x, x);
  };
  sqr(t0, z); // z^2
  sqr(t1, t0);
  sqr(t1, t1); // z^8
  mul(t1, z, t1); // z^9
  mul(t0, t0, t1); // z^11
  sqr(t2, t0); // z^22
  mul(t1, t1, t2); // z^(2^5 - 1)
  t2.set(t1);
  sqrN(t2, 5);
  mul(t1, t2, t1); // 2^10 - 1
  t2.set(t1);
  sqrN(t2, 10);
  mul(t2, t2, t1); // 2^20 - 1
  t3.set(t2);
  sqrN(t3, 20);
  mul(t2, t3, t2); // 2^40 - 1
  sqrN(t2, 10);
  mul(t1, t2, t1); // 2^50 - 1
  t2.set(t1);
  sqrN(t2, 50);
  mul(t2, t2, t1); // 2^100 - 1
  t3.set(t2);
  sqrN(t3, 100);
  mul(t2, t3, t2); // 2^200 - 1
  sqrN(t2, 50);
  mul(t1, t2, t1); // 2^250 - 1
  sqrN(t1, 5); // 2^255 - 32
  mul(o, t1, t0); // 2^255 - 21
}

function pack(o: Uint8Array, n: Fe): void {
  const m = fe();
  const t = fe();
  t.set(n);
  car(t);
  car(t);
  car(t);
  for (let j = 0; j < 2; j++) {
    m[0] = t[0]! - 0xffed;
    for (let i = 1; i < 15; i++) {
      m[i] = t[i]! - 0xffff - ((m[i - 1]! >> 16) & 1);
      m[i - 1] = m[i - 1]! & 0xffff;
    }
    m[15] = t[15]! - 0x7fff - ((m[14]! >> 16) & 1);
    const b = (m[15]! >> 16) & 1;
    m[14] = m[14]! & 0xffff;
    sel(t, m, 1 - b);
  }
  for (let i = 0; i < 16; i++) {
    o[2 * i] = t[i]! & 0xff;
    o[2 * i + 1] = t[i]! >> 8;
  }
}

function unpack(o: Fe, n: Uint8Array): void {
  for (let i = 0; i < 16; i++) o[i] = n[2 * i]! + (n[2 * i + 1]! << 8);
  o[15] = o[15]! & 0x7fff; // RFC 7748 5: the top bit of the u-coordinate is ignored
}


/** RFC 7748 section 5 X25519(k, u): 32-byte scalar (clamped here) and u-coordinate. */
export function x25519ScalarMult(scalar: Uint8Array, u: Uint8Array): Uint8Array {
  if (scalar.length !== 32 || u.length !== 32) throw new Error('x25519: 32-byte inputs expected');
  const z = scalar.slice();
  z[31] = (z[31]! & 127) | 64;
  z[0] = z[0]! & 248;
  const x = fe();
  unpack(x, u);
  const a = fe();
  const b = fe();
  const c = fe();
  const d = fe();
  const e = fe();
  const f = fe();
  b.set(x);
  a[0] = 1;
  d[0] = 1;
  for (let i = 254; i >= 0; --i) {
    const r = (z[i >>> 3]! >>> (i & 7)) & 1;
    sel(a, b, r);
    sel(c, d, r);
    add(e, a, c);
    sub(a, a, c);
    add(c, b, d);
    sub(b, b, d);
    sqr(d, e);
    sqr(f, a);
    mul(a, c, a);
    mul(c, b, e);
    add(e, a, c);
    sub(a, a, c);
    sqr(b, a);
    sub(c, d, f);
    mulA24(a, c);
    add(a, a, d);
    mul(c, c, a);
    mul(a, d, f);
    mul(d, b, x);
    sqr(b, e);
    sel(a, b, r);
    sel(c, d, r);
  }
  invert(c, c);
  mul(a, a, c);
  const out = new Uint8Array(32);
  pack(out, a);
  return out;
}

const BASE_U = (() => {
  const u = new Uint8Array(32);
  u[0] = 9;
  return u;
})();

/** The X25519 public key of a 32-byte secret (scalar times the base point u = 9). */
export function x25519PublicKey(secret: Uint8Array): Uint8Array {
  return x25519ScalarMult(secret, BASE_U);
}

/**
 * The X25519 public key of a 32-byte secret, computed as libsodium's
 * crypto_scalarmult_curve25519_base does (and @noble's x25519.getPublicKey): [k]B on the
 * birationally equivalent Edwards curve with @noble's precomputed base-point table (constant-time
 * and blinded), then u = (Z + Y) / (Z - Y). The one inversion is done here in float64 (about
 * half the cost of @noble's BigInt exponentiation), straight from the projective point.
 */
export function x25519PublicKeyFixedBase(secret: Uint8Array): Uint8Array {
  if (secret.length !== 32) throw new Error('x25519: 32-byte secret expected');
  const z = secret.slice();
  z[31] = (z[31]! & 127) | 64;
  z[0] = z[0]! & 248;
  // The clamped scalar exceeds the group order; B has prime order, so [k]B = [k mod n]B.
  const k = bytesToNumberLE(z) % ed25519.Point.Fn.ORDER;
  if (k === 0n) return x25519PublicKey(secret); // unreachable for random keys; the ladder gives u = 0
  const p = ed25519.Point.BASE.multiply(k);
  const Y = fe();
  const Z = fe();
  unpack(Y, numberToBytesLE(p.Y, 32));
  unpack(Z, numberToBytesLE(p.Z, 32));
  const num = fe();
  const den = fe();
  add(num, Z, Y);
  sub(den, Z, Y);
  invert(den, den);
  mul(num, num, den);
  const out = new Uint8Array(32);
  pack(out, num);
  return out;
}
