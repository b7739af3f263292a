#!/usr/bin/env node
// Generates the unrolled multiply and square (feMul, feSqr) of src/crypto/p256-field.ts: the part
// between the "BEGIN GENERATED" and "END GENERATED" markers. It then proves, by interval arithmetic
// on exact BigInt bounds run over the generated statements themselves, that every intermediate is
// an exact float64 integer (|x| < 2^53) for inputs whose limbs are below 20 * 2^16 in magnitude
// (the bound p256-field.ts documents), and what the output limbs are bounded by. The bounds found
// are written into the generated comment; the script fails if any claimed bound is broken.
//
//   node packages/tls-pure/tools/gen-p256-field.mjs          rewrite p256-field.ts in place
//   node packages/tls-pure/tools/gen-p256-field.mjs --check  exit 1 if the file is out of date
//
// Representation (see p256-field.ts): p = 2^256 - 2^224 + 2^192 + 2^96 - 1; an element is 16
// signed limbs of 16 bits in a Float64Array, value = sum a[i] * 2^(16 i), loosely reduced (limbs
// may be negative or above 2^16 - 1 after additions and subtractions).
//
// Reduction: 2^256 = 2^224 - 2^192 - 2^96 + 1 (mod p). Every term sits on a 16-bit boundary
// (224 = 16 * 14, 192 = 16 * 12, 96 = 16 * 6), so product column 16 + i folds, with no shifts, onto
// columns 14 + i (+), 12 + i (-), 6 + i (-) and i (+). The 31 columns are formed top-down (product
// scanning): column 16 + i is folded as soon as it is complete, i.e. after its own products and the
// folds of columns 18 + i, 20 + i and 26 + i (the only ones that land on it) were added. Then one
// signed carry pass over limbs 0..15 (the carry out of limb 15 folds back like a column 16), and a
// short second pass over the four limbs that fold touched (12 -> 15 and its fold, 6 -> 8, 0 -> 2).
// Math.floor(t * 2^-16) is the exact floor division, negative t included.
//
// The proof: the generated lines are parsed back (a small fixed grammar; anything else is an error)
// and run on intervals [lo, hi] of BigInts, starting from |a[i]|, |b[i]| <= INPUT_BOUND. Products,
// each partial sum of a column (in JavaScript's left-to-right order), each fold, carry and
// carry * 2^16 are checked to stay below 2^53. A limb minus its own carry * 2^16 is t mod 2^16, in
// [0, 2^16 - 1] (exactly t - c * 2^16 when the carry interval is a single value). The same
// interpreter, run on single-value intervals, checks the code against BigInt a * b mod p on extreme
// and random inputs, and that all reads of a and b come before the first write to o (aliasing).
import { writeGeneratedSection } from './generated-section.mjs';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const N = 16;
const R = 1n << 16n;
const TWO53 = 1n << 53n;
const P = (1n << 256n) - (1n << 224n) + (1n << 192n) + (1n << 96n) - 1n;
/** 2^256 mod p = 2^224 - 2^192 - 2^96 + 1, as [column offset, sign] for the fold of column 16 + i. */
const FOLD = [
  [14, 1n],
  [12, -1n],
  [6, -1n],
  [0, 1n],
];
if (FOLD.reduce((s, [k, sign]) => s + sign * R ** BigInt(k), 0n) !== (1n << 256n) % P) throw new Error('FOLD is not 2^256 mod p');
/** Claimed bound on every input limb of feMul and feSqr: below 20 * 2^16 in magnitude (integers). */
const INPUT_BOUND = 20n * R - 1n;
/** Claimed output range of feMul / feSqr: every limb in [-2, 2^16 + 2). */
const OUTPUT_LO = -2n;
const OUTPUT_HI = R + 1n;
/** Claimed by a generated comment: the carry out of limb 15 in the first pass is below 2^33. */
const FIRST_CARRY_BOUND = 1n << 33n;

const abs = (x) => (x < 0n ? -x : x);
const floorDiv = (a, b) => (a >= 0n ? a / b : -((-a + b - 1n) / b));
const log2 = (x) => (x === 0n ? '-inf' : Math.log2(Number(x)).toFixed(2));
const pow2 = (x) => `2^${log2(x)}`;

// ---- code generation (the output is the code that was in p256-field.ts, made by a generator that
// was never committed; this one reproduces it byte for byte) ----

const fold = (k) => {
  const i = k - 16;
  return `  ${FOLD.map(([at, sign]) => `t${at + i} ${sign > 0n ? '+=' : '-='} t${k};`).join(' ')}`;
};
const foldCarry = () => `  ${FOLD.map(([at, sign]) => `t${at} ${sign > 0n ? '+=' : '-='} c;`).join(' ')}`;

function columns(term) {
  const lines = [
    '  // Columns top-down (product scanning); each upper column k = 16 + i, once complete (its',
    '  // products plus what the folds of columns k + 2, k + 4 and k + 10 added), folds into the',
    '  // lower columns: 2^256 = 2^224 - 2^192 - 2^96 + 1 (mod p) puts it in 14 + i, 12 + i, 6 + i, i.',
  ];
  for (let k = 0; k < 2 * N - 1; k++) lines.push(`  let t${k} = 0;`);
  for (let k = 2 * N - 2; k >= 0; k--) {
    lines.push(`  t${k} += ${term(k)};`);
    if (k >= N) lines.push(fold(k));
  }
  return lines;
}

const carryStep = (i) => `  t${i} += c; c = Math.floor(t${i} * INV_LIMB); t${i} -= c * LIMB;`;

function carryAndStore() {
  const lines = [
    '  // Carry all sixteen limbs (signed: floor division); the carry out of limb 15 (below 2^33)',
    '  // folds back like a column 16.',
    '  let c = Math.floor(t0 * INV_LIMB);',
    '  t0 -= c * LIMB;',
  ];
  for (let i = 1; i < N; i++) lines.push(carryStep(i));
  lines.push(foldCarry());
  lines.push(
    '  // Only limbs 0, 6, 12 and 14 are out of range now: carry each two limbs up, 12 -> 15 first so',
    '  // its (small) carry out folds into 6 and 0 before they are carried. Limbs 2, 8, 12 and 14',
    '  // end in [-2, 2^16 + 2).',
  );
  // Second pass: 12 -> 15 and the fold, then 6 -> 8, then 0 -> 2.
  for (const [first, ...rest] of [[12, 13, 14, 15], [6, 7, 8], [0, 1, 2]]) {
    lines.push(`  c = Math.floor(t${first} * INV_LIMB); t${first} -= c * LIMB;`);
    const last = rest.at(-1);
    for (const i of rest) lines.push(i === last && last !== N - 1 ? `  t${i} += c;` : carryStep(i));
    if (last === N - 1) lines.push(foldCarry());
  }
  for (let i = 0; i < N; i++) lines.push(`  o[${i}] = t${i};`);
  return lines;
}

function mulCode() {
  const lines = ['/** o = a * b mod p (o may alias a or b). */', 'export function feMul(o: Fe, a: Fe, b: Fe): void {'];
  for (let i = 0; i < N; i++) lines.push(`  const a${i} = a[${i}]!;`);
  for (let i = 0; i < N; i++) lines.push(`  const b${i} = b[${i}]!;`);
  lines.push(
    ...columns((k) => {
      const terms = [];
      for (let i = 0; i < N; i++) if (k - i >= 0 && k - i < N) terms.push(`a${i} * b${k - i}`);
      return terms.join(' + ');
    }),
  );
  return [...lines, ...carryAndStore(), '}'];
}

function sqrCode() {
  const lines = ['/** o = a^2 mod p (o may alias a): 136 products instead of 256. */', 'export function feSqr(o: Fe, a: Fe): void {'];
  for (let i = 0; i < N; i++) lines.push(`  const a${i} = a[${i}]!;`);
  for (let i = 0; i < N - 1; i++) lines.push(`  const d${i} = 2 * a${i};`);
  lines.push(
    ...columns((k) => {
      // Pairs i < j with i + j = k once, doubled (d_i = 2 a_i), plus a_(k/2)^2.
      const terms = [];
      for (let i = 0; i < N; i++) {
        const j = k - i;
        if (j >= i && j < N) terms.push(i === j ? `a${i} * a${i}` : `d${i} * a${j}`);
      }
      return terms.join(' + ');
    }),
  );
  return [...lines, ...carryAndStore(), '}'];
}

// ---- the proof: an interval interpreter for the generated statements ----

/**
 * Runs the body of a generated function on intervals. inputs maps 'a' / 'b' to 16 intervals.
 * Returns the output intervals, the largest magnitude of any intermediate, the interval of the first
 * pass's carry out of limb 15, and the number of products.
 */
function run(lines, inputs, consts) {
  const env = new Map(); // name -> { lo, hi, version, mutable }
  const carryOrigin = new Map(); // carry name -> { from, version }: carry = floor(from / 2^16)
  const out = new Array(N);
  let maxAbs = 0n;
  let products = 0;
  let firstCarry = null;
  const note = ([lo, hi], what) => {
    const m = abs(lo) > abs(hi) ? abs(lo) : abs(hi);
    if (m >= TWO53) throw new Error(`${what}: ${m} is not below 2^53`);
    if (m > maxAbs) maxAbs = m;
    return [lo, hi];
  };
  const operand = (s) => {
    if (/^\d+$/.test(s)) return [BigInt(s), BigInt(s)];
    if (consts.has(s)) return consts.get(s);
    const v = env.get(s);
    if (!v) throw new Error(`read of undefined ${s}`);
    return [v.lo, v.hi];
  };
  const mul = ([al, ah], [bl, bh]) => {
    const c = [al * bl, al * bh, ah * bl, ah * bh];
    return [c.reduce((m, x) => (x < m ? x : m)), c.reduce((m, x) => (x > m ? x : m))];
  };
  const term = (s, stmt) => {
    let m = /^(\w+) \* (\w+)$/.exec(s);
    if (m) {
      const isVariable = (x) => !/^\d+$/.test(x) && !consts.has(x);
      if (isVariable(m[1]) && isVariable(m[2])) products++;
      if (m[1] === m[2] && !consts.has(m[1])) {
        // x * x: a square, never negative.
        const [lo, hi] = operand(m[1]);
        const big = abs(lo) > abs(hi) ? abs(lo) : abs(hi);
        const small = lo <= 0n && hi >= 0n ? 0n : abs(lo) < abs(hi) ? abs(lo) : abs(hi);
        return note([small * small, big * big], stmt);
      }
      return note(mul(operand(m[1]), operand(m[2])), stmt);
    }
    m = /^\w+$/.exec(s);
    if (m) return operand(s);
    throw new Error(`unexpected term "${s}" in "${stmt}"`);
  };
  /** A sum of terms, evaluated left to right as JavaScript does, each partial sum checked. */
  const sum = (s, stmt) => {
    const parts = s.split(/ ([+-]) /);
    let acc = term(parts[0], stmt);
    for (let k = 1; k < parts.length; k += 2) {
      const [l, h] = term(parts[k + 1], stmt);
      acc = note(parts[k] === '+' ? [acc[0] + l, acc[1] + h] : [acc[0] - h, acc[1] - l], stmt);
    }
    return acc;
  };
  const assign = (name, [lo, hi], mutable) => {
    const old = env.get(name);
    env.set(name, { lo, hi, version: (old?.version ?? 0) + 1, mutable });
    carryOrigin.delete(name);
  };
  let wroteOutput = false;
  for (const line of lines) {
    if (line === foldCarry() && !firstCarry) firstCarry = operand('c'); // the first pass's carry out of limb 15
    const code = line.replace(/\/\/.*$/, '').trim();
    for (const stmt of code.split(';').map((s) => s.trim()).filter(Boolean)) {
      let m;
      if ((m = /^const (\w+) = ([ab])\[(\d+)\]!$/.exec(stmt))) {
        if (wroteOutput) throw new Error(`${stmt}: input read after an output write (breaks aliasing)`);
        assign(m[1], inputs[m[2]][Number(m[3])], false);
      } else if ((m = /^o\[(\d+)\] = (\w+)$/.exec(stmt))) {
        wroteOutput = true;
        out[Number(m[1])] = operand(m[2]);
      } else if ((m = /^(?:(const|let) )?(\w+) (\+|-)?= (.+)$/.exec(stmt))) {
        const [, decl, name, op, rhs] = m;
        if (decl && env.has(name)) throw new Error(`${stmt}: ${name} redeclared`);
        if (!decl && !env.get(name)?.mutable) throw new Error(`${stmt}: ${name} is not a declared let`);
        if (decl && op) throw new Error(`${stmt}: compound declaration`);
        const floor = /^Math\.floor\((\w+) \* INV_LIMB\)$/.exec(rhs);
        const reduce = /^(\w+) \* LIMB$/.exec(rhs);
        const origin = reduce && carryOrigin.get(reduce[1]);
        if (floor && !op) {
          // c = floor(t / 2^16): t * 2^-16 only rescales an integer below 2^53 (no rounding).
          const [lo, hi] = operand(floor[1]);
          assign(name, note([floorDiv(lo, R), floorDiv(hi, R)], stmt), decl !== 'const');
          carryOrigin.set(name, { from: floor[1], version: env.get(floor[1]).version });
        } else if (op === '-' && origin && origin.from === name && origin.version === env.get(name).version) {
          // t -= floor(t / 2^16) * 2^16: t mod 2^16.
          const [lo, hi] = operand(name);
          const [cl, ch] = note(mul(operand(reduce[1]), [R, R]), stmt);
          assign(name, cl === ch ? [lo - cl, hi - cl] : [0n, R - 1n], true);
        } else {
          const [l, h] = sum(rhs, stmt);
          if (!op) assign(name, [l, h], decl !== 'const');
          else {
            const [lo, hi] = operand(name);
            assign(name, note(op === '+' ? [lo + l, hi + h] : [lo - h, hi - l], stmt), true);
          }
        }
      } else {
        throw new Error(`statement outside the grammar the proof understands: "${stmt}"`);
      }
    }
  }
  for (let i = 0; i < N; i++) if (!out[i]) throw new Error(`o[${i}] is never written`);
  return { out, maxAbs, firstCarry, products };
}

/** The statements of a generated function: the lines between its signature and closing brace. */
const body = (lines) => lines.slice(lines.findIndex((l) => l.startsWith('export function')) + 1, -1);

const fileDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'crypto');
const target = join(fileDir, 'p256-field.ts');
const source = readFileSync(target, 'utf8');
// The interpreter takes LIMB and INV_LIMB from the file itself (outside the generated part).
if (!/^const LIMB = 65536;$/m.test(source) || !/^const INV_LIMB = 1 \/ 65536;/m.test(source)) {
  throw new Error(`${target}: expected "const LIMB = 65536;" and "const INV_LIMB = 1 / 65536;"`);
}
const consts = new Map([['LIMB', [R, R]]]);

const mulLines = mulCode();
const sqrLines = sqrCode();
const box = Array.from({ length: N }, () => [-INPUT_BOUND, INPUT_BOUND]);
const mulBounds = run(body(mulLines), { a: box, b: box }, consts);
const sqrBounds = run(body(sqrLines), { a: box }, consts);

for (const [name, r] of [['feMul', mulBounds], ['feSqr', sqrBounds]]) {
  r.out.forEach(([lo, hi], i) => {
    if (lo < OUTPUT_LO || hi > OUTPUT_HI) throw new Error(`${name}: output limb ${i} in [${lo}, ${hi}], not in [${OUTPUT_LO}, ${OUTPUT_HI}]`);
  });
  if (abs(r.firstCarry[0]) >= FIRST_CARRY_BOUND || abs(r.firstCarry[1]) >= FIRST_CARRY_BOUND) {
    throw new Error(`${name}: first carry out of limb 15 in [${r.firstCarry}], not below 2^33`);
  }
}
if (mulBounds.products !== N * N || sqrBounds.products !== (N * (N + 1)) / 2) throw new Error('unexpected product count');

// Values: the same interpreter on single-value intervals, against BigInt. Extreme and random inputs.
const valueOf = (limbs) => limbs.reduceRight((v, [x]) => v * R + x, 0n);
const mod = (v) => ((v % P) + P) % P;
const point = (xs) => xs.map((x) => [x, x]);
const randomLimbs = () => Array.from(randomBytes(4 * N).toString('hex').match(/.{8}/g), (h) => (BigInt('0x' + h) % (2n * INPUT_BOUND + 1n)) - INPUT_BOUND);
const samples = [
  Array(N).fill(INPUT_BOUND),
  Array(N).fill(-INPUT_BOUND),
  Array.from({ length: N }, (_, i) => (i % 2 ? INPUT_BOUND : -INPUT_BOUND)),
  Array.from({ length: N }, (_, i) => (i % 2 ? -INPUT_BOUND : INPUT_BOUND)),
  Array(N).fill(0n),
  Array.from({ length: N }, (_, i) => Number(i) < 8 ? R - 1n : 0n),
  ...Array.from({ length: 60 }, randomLimbs),
];
for (let s = 0; s < samples.length; s++) {
  const a = point(samples[s]);
  const b = point(samples[(s * 7 + 3) % samples.length]);
  const m = run(body(mulLines), { a, b }, consts).out;
  if (mod(valueOf(m)) !== mod(valueOf(a) * valueOf(b))) throw new Error(`feMul is wrong on sample ${s}`);
  const q = run(body(sqrLines), { a }, consts).out;
  if (mod(valueOf(q)) !== mod(valueOf(a) * valueOf(a))) throw new Error(`feSqr is wrong on sample ${s}`);
}

/** "limbs 2, 8, 12 and 14 in [-2, 2^16 + 1], every other limb in [0, 2^16 - 1]" */
function outputText(r) {
  const fmt = (x) => (x > R / 2n ? `2^16 ${x >= R ? '+' : '-'} ${abs(x - R)}` : `${x}`);
  const groups = new Map();
  r.out.forEach(([lo, hi], i) => {
    if (lo === 0n && hi === R - 1n) return;
    const key = `[${fmt(lo)}, ${fmt(hi)}]`;
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  const list = (xs) => (xs.length === 1 ? `limb ${xs[0]}` : `limbs ${xs.slice(0, -1).join(', ')} and ${xs.at(-1)}`);
  return [...[...groups].map(([key, xs]) => `${list(xs)} in ${key}`), 'every other limb in [0, 2^16 - 1]'].join(', ');
}

/** A comment bullet, wrapped at 100 columns. */
function bullet(text) {
  const lines = [];
  let line = '// -';
  for (const word of text.split(' ')) {
    if (line.length + 1 + word.length > 100) {
      lines.push(line);
      line = '//  ';
    }
    line += ` ${word}`;
  }
  return [...lines, line];
}

const both = (f) => (f(mulBounds) === f(sqrBounds) ? `${f(mulBounds)} (both)` : `${f(mulBounds)} (feMul), ${f(sqrBounds)} (feSqr)`);
const comment = [
  '// BEGIN GENERATED by tools/gen-p256-field.mjs: do not edit by hand, edit the generator and rerun it.',
  '//',
  '// Bounds (exact interval arithmetic in the generator, run on the statements below as written):',
  ...bullet(
    `feMul / feSqr accept integer limbs |a[i]|, |b[i]| <= 20 * 2^16 - 1 = ${INPUT_BOUND}. Every product, ` +
      `partial sum, fold, carry and carry * 2^16 is then below ${pow2(mulBounds.maxAbs)} (feMul) and ` +
      `${pow2(sqrBounds.maxAbs)} (feSqr) in magnitude, under 2^53, so all of it is exact.`,
  ),
  ...bullet(`The first pass's carry out of limb 15 is in ${both((r) => `[${r.firstCarry[0]}, ${r.firstCarry[1]}]`)}, below 2^33.`),
  ...bullet(`Outputs: ${both(outputText)}.`),
];
const generated = [...comment, ...mulLines, '', ...sqrLines, '// END GENERATED', ''].join('\n');

writeGeneratedSection(target, source, generated, 'gen-p256-field.mjs');
for (const [name, r] of [['feMul', mulBounds], ['feSqr', sqrBounds]]) {
  console.log(`${name}: max intermediate ${pow2(r.maxAbs)}, first carry out of limb 15 in [${r.firstCarry.join(', ')}]; ${outputText(r)}`);
}
