#!/usr/bin/env node
// Generates the unrolled multiply, square and small-constant multiply of src/crypto/fe25519.ts
// (the part between the "BEGIN GENERATED" and "END GENERATED" markers) and proves, by interval
// arithmetic on exact BigInt bounds, that every intermediate stays an exact float64 integer
// (|x| < 2^53) and what the output limbs are bounded by. The bounds found are written into the
// generated comment; the script fails if any of them is broken.
//
//   node packages/tls-pure/tools/gen-fe25519.mjs          rewrite fe25519.ts in place
//   node packages/tls-pure/tools/gen-fe25519.mjs --check  exit 1 if the file is out of date
//
// Representation (see fe25519.ts): 15 limbs of 17 bits, value = sum a[i] * 2^(17 i). Since
// 15 * 17 = 255 and 2^255 = 19 (mod 2^255 - 19), product column 15 + k folds onto column k
// times 19. The multiply is written column by column ("product scanning"): b[j] * 19 is formed
// once for the wrapped terms, each column is one sum of 15 products.
import { writeGeneratedSection } from './generated-section.mjs';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const N = 15;
const RADIX = 17;
const WRAP = 19n;
const TWO53 = 1n << 53n;
const R = 1n << BigInt(RADIX);
/** Claimed bound on every input limb of mul and square (|limb| <= INPUT_BOUND). */
const INPUT_BOUND = 1n << 21n;
/** Claimed bound on the small constant of mulSmall and on its input limbs. */
const SMALL_CONST_BOUND = 1n << 17n;
const SMALL_INPUT_BOUND = 1n << 21n;

/**
 * Carry schedule, chosen by measurement: three interleaved chains (0..5, 5..10, 10..14 -> 0), so
 * three independent carries are in flight at once; the critical path is 6 dependent carry steps
 * instead of 17 for one chain 0 -> 1 -> ... -> 14 -> 0 -> 1 (ref10 uses two chains; on V8 three
 * was about 5% faster for the whole ladder than two, and 7% faster than one). Each pair is
 * [from, to]; to = 0 means the carry out of limb 14, which re-enters limb 0 times 19.
 * CARRY_ROUNDS='<json>' overrides it, for experiments.
 */
const CARRY_ROUNDS = process.env.CARRY_ROUNDS
  ? JSON.parse(process.env.CARRY_ROUNDS)
  : [
      [[0, 1], [5, 6], [10, 11]],
      [[1, 2], [6, 7], [11, 12]],
      [[2, 3], [7, 8], [12, 13]],
      [[3, 4], [8, 9], [13, 14]],
      [[4, 5], [9, 10], [14, 0]],
      [[5, 6], [10, 11], [0, 1]],
    ];
/** Outputs must be tight: |limb| <= 2^18, so the sums and differences fed back stay far below INPUT_BOUND. */
const TIGHT_BOUND = 1n << 18n;

const abs = (x) => (x < 0n ? -x : x);
const floorDiv = (a, b) => (a >= 0n ? a / b : -((-a + b - 1n) / b));
const log2 = (x) => (x === 0n ? '-inf' : Math.log2(Number(x)).toFixed(2));

let maxIntermediate = 0n;
function note(lo, hi) {
  const m = abs(lo) > abs(hi) ? abs(lo) : abs(hi);
  if (m >= TWO53) throw new Error(`intermediate ${m} is not below 2^53`);
  if (m > maxIntermediate) maxIntermediate = m;
}

/** Applies CARRY_ROUNDS to column intervals; returns the output intervals. */
function carryIntervals(cols) {
  const t = cols.map(([lo, hi]) => [lo, hi]);
  for (const round of CARRY_ROUNDS) {
    for (const [from, to] of round) {
      const [lo, hi] = t[from];
      const cLo = floorDiv(lo, R);
      const cHi = floorDiv(hi, R);
      note(cLo * R, cHi * R);
      t[from] = cLo === cHi ? [lo - cLo * R, hi - cLo * R] : [0n, R - 1n];
      const f = to === 0 ? WRAP : 1n;
      note(cLo * f, cHi * f);
      t[to] = [t[to][0] + f * cLo, t[to][1] + f * cHi];
      note(t[to][0], t[to][1]);
    }
  }
  return t;
}

/** Column bounds of a product of two elements with limbs bounded by aBound and bBound. */
function productColumns(aBound, bBound) {
  const cols = [];
  for (let k = 0; k < N; k++) {
    let s = 0n;
    for (let i = 0; i < N; i++) {
      const j = (k - i + N) % N;
      s += aBound * bBound * (i + j >= N ? WRAP : 1n);
      note(-s, s);
    }
    cols.push([-s, s]);
  }
  note(-WRAP * bBound, WRAP * bBound);
  return cols;
}

const mulOut = carryIntervals(productColumns(INPUT_BOUND, INPUT_BOUND));
const mulMax = maxIntermediate;
maxIntermediate = 0n;
// feMulSmallAdd (feMulSmall is the case c = 0): columns a[i] * k + c[i].
const smallColumn = SMALL_INPUT_BOUND * SMALL_CONST_BOUND + SMALL_INPUT_BOUND;
note(-smallColumn, smallColumn);
const smallOut = carryIntervals(Array.from({ length: N }, () => [-smallColumn, smallColumn]));
const smallMax = maxIntermediate;

const fmtIntervals = (t) => {
  const lo = t.reduce((m, [l]) => (l < m ? l : m), 0n);
  const hi = t.reduce((m, [, h]) => (h > m ? h : m), 0n);
  const odd = t.map(([l, h], i) => [i, l, h]).filter(([, l, h]) => l !== 0n || h !== R - 1n);
  return { lo, hi, text: odd.map(([i, l, h]) => `limb ${i} in [${l}, ${h}]`).join(', ') };
};
for (const [lo, hi] of [...mulOut, ...smallOut]) {
  if (abs(lo) > TIGHT_BOUND || abs(hi) > TIGHT_BOUND) throw new Error(`output limb [${lo}, ${hi}] is not within 2^18`);
}
const mulFmt = fmtIntervals(mulOut);
const smallFmt = fmtIntervals(smallOut);

// ---- code generation ----

const INV_RADIX = '7.62939453125e-6'; // 2^-17, exact in decimal and in binary
const RADIX_NUM = '131072';

function carryCode() {
  const chains = Math.max(...CARRY_ROUNDS.map((round) => round.length));
  const names = ['carryA', 'carryB', 'carryC', 'carryD'].slice(0, chains);
  const lines = [`  let ${names.map((v) => `${v}: number`).join(', ')}; // the interleaved carry chains`];
  for (const round of CARRY_ROUNDS) {
    round.forEach(([from, to], n) => {
      const v = names[n];
      const add = to === 0 ? `t0 += 19 * ${v};` : `t${to} += ${v};`;
      lines.push(`  ${v} = Math.floor(t${from} * ${INV_RADIX}); t${from} -= ${v} * ${RADIX_NUM}; ${add}`);
    });
  }
  return lines;
}

const storeCode = () => Array.from({ length: N }, (_, i) => `  o[${i}] = t${i};`);

function mulCode() {
  const lines = [];
  for (let i = 0; i < N; i++) lines.push(`  const a${i} = a[${i}]!;`);
  for (let i = 0; i < N; i++) lines.push(`  const b${i} = b[${i}]!;`);
  for (let i = 1; i < N; i++) lines.push(`  const b${i}x19 = 19 * b${i};`);
  for (let k = 0; k < N; k++) {
    const terms = [];
    for (let i = 0; i < N; i++) {
      const j = (k - i + N) % N;
      terms.push(i + j >= N ? `a${i} * b${j}x19` : `a${i} * b${j}`);
    }
    lines.push(`  let t${k} = ${terms.join(' + ')};`);
  }
  return [...lines, ...carryCode(), ...storeCode()];
}

function sqrCode() {
  const lines = [];
  for (let i = 0; i < N; i++) lines.push(`  const a${i} = a[${i}]!;`);
  const used = new Set();
  const use = (name) => (used.add(name), name);
  const columns = [];
  for (let k = 0; k < N; k++) {
    const terms = [];
    // Unwrapped column k: pairs i < j with i + j = k (doubled), plus a[k/2]^2.
    for (let i = 0; 2 * i <= k; i++) {
      const j = k - i;
      terms.push(i === j ? `a${i} * a${i}` : `${use(`a${i}x2`)} * a${j}`);
    }
    // Wrapped column k + 15, times 19: pairs i < j with i + j = k + 15 (doubled), plus a[(k+15)/2]^2.
    for (let i = k + 1; 2 * i <= k + N; i++) {
      const j = k + N - i;
      terms.push(i === j ? `a${i} * ${use(`a${i}x19`)}` : `a${i} * ${use(`a${j}x38`)}`);
    }
    columns.push(`  let t${k} = ${terms.join(' + ')};`);
  }
  for (const [suffix, factor] of [['x2', 2], ['x19', 19], ['x38', 38]]) {
    for (let i = 0; i < N; i++) if (used.has(`a${i}${suffix}`)) lines.push(`  const a${i}${suffix} = ${factor} * a${i};`);
  }
  return [...lines, ...columns, ...carryCode(), ...storeCode()];
}

function mulSmallCode() {
  const lines = [];
  for (let i = 0; i < N; i++) lines.push(`  let t${i} = a[${i}]! * k;`);
  return [...lines, ...carryCode(), ...storeCode()];
}

function mulSmallAddCode() {
  const lines = [];
  for (let i = 0; i < N; i++) lines.push(`  let t${i} = a[${i}]! * k + addend[${i}]!;`);
  return [...lines, ...carryCode(), ...storeCode()];
}

const b = (x) => `2^${log2(x)}`;
const generated = `// BEGIN GENERATED by tools/gen-fe25519.mjs: do not edit by hand, edit the generator and rerun it.
//
// Bounds (exact interval arithmetic in the generator):
// - feMul / feSqr accept limbs |a[i]|, |b[i]| <= ${b(INPUT_BOUND)}. A column then sums at most the
//   equivalent of 267 products (1 + 19 * 14 for column 0), every partial sum is below
//   ${b(mulMax)} < 2^53, so all of it is exact. Outputs: limbs in [${mulFmt.lo}, ${mulFmt.hi}]
//   (${mulFmt.text}; every other limb in [0, 2^17 - 1]).
// - feMulSmall / feMulSmallAdd accept |k| <= ${b(SMALL_CONST_BOUND)}, |a[i]|, |addend[i]| <= ${b(SMALL_INPUT_BOUND)}; largest intermediate
//   ${b(smallMax)}; outputs in [${smallFmt.lo}, ${smallFmt.hi}] (${smallFmt.text}).
// Carries: ${CARRY_ROUNDS.length} rounds of interleaved independent carries (see the generator), the carry out
// of limb 14 folded into limb 0 times 19; floor(t * 2^-17) is exact since the scaling is by a power of two.

/** o = a * b mod 2^255 - 19 (o may alias a or b): 225 products, one carry pass. */
export function feMul(o: Fe, a: Fe, b: Fe): void {
${mulCode().join('\n')}
}

/** o = a^2 mod 2^255 - 19 (o may alias a): 120 products, one carry pass. */
export function feSqr(o: Fe, a: Fe): void {
${sqrCode().join('\n')}
}

/** o = a * k mod 2^255 - 19 for a small integer k (|k| <= 2^17), e.g. the ladder's a24 = 121665. */
export function feMulSmall(o: Fe, a: Fe, k: number): void {
${mulSmallCode().join('\n')}
}

/** o = a * k + addend mod 2^255 - 19 for a small integer k (|k| <= 2^17); o may alias a or addend. */
export function feMulSmallAdd(o: Fe, a: Fe, k: number, addend: Fe): void {
${mulSmallAddCode().join('\n')}
}
// END GENERATED
`;

const target = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'crypto', 'fe25519.ts');
const source = readFileSync(target, 'utf8');
writeGeneratedSection(target, source, generated, 'gen-fe25519.mjs');
console.log(`mul: max intermediate ${b(mulMax)}, output [${mulFmt.lo}, ${mulFmt.hi}]: ${mulFmt.text}`);
console.log(`mulSmall: max intermediate ${b(smallMax)}, output [${smallFmt.lo}, ${smallFmt.hi}]: ${smallFmt.text}`);
