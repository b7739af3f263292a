/**
 * Modular arithmetic for RSA on BigInt: the public operations, the inverse for blinding, and
 * the private exponentiation of each CRT half.
 *
 * Why BigInt and not float64 limbs as in the curve code: for 1,024-bit CRT halves V8's BigInt
 * (64-bit digits, native schoolbook multiply and division) is the faster of the two by 5x. A
 * float64-limb Montgomery multiplication with 22-bit limbs (47 limbs, 2 * 47^2 exact double
 * multiply-adds per product) measured 6-7 µs CPU per product against BigInt's 1.4 µs per
 * multiply-and-reduce, i.e. about 19 ms against 3.5 ms per RSA-2048 signature
 * (tools/bench/results/NOTES.md, "pure backend"). For the 256-bit curve fields the balance is
 * the other way round (BigInt's per-operation allocation dominates there).
 *
 * BigInt does not promise constant time: its operations take time by operand length, and the
 * schoolbook division has rare data-dependent correction steps. So the secret exponentiation is
 * arranged to give a timing or cache observer nothing stable to average over:
 * - fixed windows over a fixed length: the same squarings and multiplications, in the same
 *   order, for every exponent of the modulus's size (no sliding window, no skipped zero digit);
 * - exponent blinding (J.-S. Coron, "Resistance against differential power analysis for
 *   elliptic curve cryptosystems", CHES '99, section 5): each exponentiation uses
 *   d + k (p - 1) for a fresh random 64-bit k, so the window digits, and with them the table
 *   entries read, change with every signature;
 * - base blinding (rsa.ts): the exponentiation never sees the message itself.
 */

export function bitLength(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

/** a^-1 mod m by the extended Euclidean algorithm (variable time: only for public or blinded values). */
export function modInverse(a: bigint, m: bigint): bigint {
  let [r0, r1] = [((a % m) + m) % m, m];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  if (r0 !== 1n) throw new RangeError('not invertible');
  return ((s0 % m) + m) % m;
}

/** base^e mod m by square-and-multiply, for public exponents only (variable time). */
export function modPowPublic(base: bigint, e: bigint, m: bigint): bigint {
  let result = 1n;
  let b = base % m;
  for (let x = e; x > 0n; x >>= 1n) {
    if (x & 1n) result = (result * b) % m;
    b = (b * b) % m;
  }
  return result % m;
}

/** Window width: 5 bits is the cheapest for 1,000-1,600-bit exponents (about 1 product per 5 squarings, 30 for the table). */
const WINDOW = 5;
const TABLE = 1 << WINDOW;

/**
 * base^exponent mod m with 5-bit fixed windows over exactly `bits` bits of the exponent (the
 * exponent must fit in them): ceil(bits / 5) windows, each 5 squarings and one product, also
 * for zero digits. base must be below m.
 */
export function modPowFixedWindow(base: bigint, exponent: bigint, m: bigint, bits: number): bigint {
  const count = Math.ceil(bits / WINDOW);
  const binary = exponent.toString(2);
  if (binary.length > count * WINDOW) throw new RangeError('exponent longer than its window count');
  const padded = binary.padStart(count * WINDOW, '0');
  const table: bigint[] = new Array<bigint>(TABLE);
  table[0] = 1n;
  table[1] = base;
  for (let k = 2; k < TABLE; k++) table[k] = (k & 1) === 0 ? (table[k >> 1]! * table[k >> 1]!) % m : (table[k - 1]! * base) % m;
  let acc = table[parseInt(padded.slice(0, WINDOW), 2)]!;
  for (let i = 1; i < count; i++) {
    for (let s = 0; s < WINDOW; s++) acc = (acc * acc) % m;
    acc = (acc * table[parseInt(padded.slice(i * WINDOW, (i + 1) * WINDOW), 2)]!) % m;
  }
  table.fill(0n);
  return acc % m;
}

/** Bits of the random multiple of p - 1 added to a CRT exponent (Coron's recommendation is at least 20; 64 costs 6% more squarings). */
export const EXPONENT_BLINDING_BITS = 64;

/**
 * x^d mod p for a prime p and its CRT exponent d (< p - 1), computed as x^(d + k (p - 1)) with
 * a fresh random k: the same value for every x (Fermat; x = 0 mod p gives 0 either way, since
 * the exponent stays positive), a different exponent each time.
 */
export function modPowPrimeBlinded(x: bigint, d: bigint, p: bigint, random: (n: number) => Uint8Array): bigint {
  const k = BigInt('0x' + Buffer.from(random(EXPONENT_BLINDING_BITS / 8)).toString('hex'));
  const blinded = d + k * (p - 1n);
  return modPowFixedWindow(x % p, blinded, p, bitLength(p) + EXPONENT_BLINDING_BITS);
}
