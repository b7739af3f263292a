/**
 * SHA-256 (FIPS 180-4 section 6.2) and HMAC-SHA256 (RFC 2104) for the handshake's many small
 * inputs. A TLS 1.3 handshake takes about 20 HMACs and a handful of transcript hashes, nearly all
 * of one or two blocks; @noble/hashes' objects cost several µs each to set up (views, padding
 * buffers), several times the compression itself. Here the state is eight int32 locals, the
 * message schedule is one reused Int32Array, and HMAC keeps the two padded-key states so a key
 * that is used more than once (a traffic secret yields a key and an IV) is padded once.
 * Checked against node:crypto in test/sha256.test.ts.
 */

// FIPS 180-4 4.2.2: the first 32 bits of the fractional parts of the cube roots of the first 64 primes.
const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

// FIPS 180-4 5.3.3: the initial hash value.
const IV = new Int32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);

/** The message schedule, shared: compression never re-enters. */
const W = new Int32Array(64);

/** Compresses the 64-byte block at `b[off..]` into state `h` (FIPS 180-4 6.2.2). */
function compress(h: Int32Array, b: Uint8Array, off: number): void {
  for (let t = 0; t < 16; t++, off += 4) W[t] = (b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!;
  for (let t = 16; t < 64; t++) {
    const w15 = W[t - 15]!;
    const w2 = W[t - 2]!;
    const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
    const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
    W[t] = (s1 + W[t - 7]! + s0 + W[t - 16]!) | 0;
  }
  let a = h[0]!;
  let bb = h[1]!;
  let c = h[2]!;
  let d = h[3]!;
  let e = h[4]!;
  let f = h[5]!;
  let g = h[6]!;
  let hh = h[7]!;
  for (let t = 0; t < 64; t++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const ch = (e & f) ^ (~e & g);
    const t1 = (hh + S1 + ch + K[t]! + W[t]!) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const maj = (a & bb) ^ (a & c) ^ (bb & c);
    const t2 = (S0 + maj) | 0;
    hh = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = bb;
    bb = a;
    a = (t1 + t2) | 0;
  }
  h[0] = (h[0]! + a) | 0;
  h[1] = (h[1]! + bb) | 0;
  h[2] = (h[2]! + c) | 0;
  h[3] = (h[3]! + d) | 0;
  h[4] = (h[4]! + e) | 0;
  h[5] = (h[5]! + f) | 0;
  h[6] = (h[6]! + g) | 0;
  h[7] = (h[7]! + hh) | 0;
}

/** An incremental SHA-256; `copy()` forks it, so a running transcript hash can be read at every step. */
export class Sha256 {
  private readonly h = new Int32Array(IV);
  private readonly block = new Uint8Array(64);
  private fill = 0;
  private length = 0;

  update(data: Uint8Array): this {
    let i = 0;
    this.length += data.length;
    if (this.fill > 0) {
      const take = Math.min(64 - this.fill, data.length);
      this.block.set(data.subarray(0, take), this.fill);
      this.fill += take;
      i = take;
      if (this.fill < 64) return this;
      compress(this.h, this.block, 0);
      this.fill = 0;
    }
    for (; i + 64 <= data.length; i += 64) compress(this.h, data, i);
    if (i < data.length) {
      this.block.set(data.subarray(i), 0);
      this.fill = data.length - i;
    }
    return this;
  }

  copy(): Sha256 {
    const c = new Sha256();
    c.h.set(this.h);
    c.block.set(this.block);
    c.fill = this.fill;
    c.length = this.length;
    return c;
  }

  /** The digest; this hasher is spent afterwards (use `copy()` first to keep going). */
  digest(): Uint8Array {
    // FIPS 180-4 5.1.1: 0x80, zeros, then the bit length as a 64-bit big-endian integer.
    const b = this.block;
    b[this.fill++] = 0x80;
    if (this.fill > 56) {
      b.fill(0, this.fill);
      compress(this.h, b, 0);
      this.fill = 0;
    }
    b.fill(0, this.fill, 56);
    const bits = this.length * 8;
    const hi = Math.floor(bits / 0x100000000);
    b[56] = hi >>> 24;
    b[57] = hi >>> 16;
    b[58] = hi >>> 8;
    b[59] = hi;
    b[60] = bits >>> 24;
    b[61] = bits >>> 16;
    b[62] = bits >>> 8;
    b[63] = bits;
    compress(this.h, b, 0);
    const out = new Uint8Array(32);
    for (let i = 0; i < 8; i++) {
      const v = this.h[i]!;
      out[4 * i] = v >>> 24;
      out[4 * i + 1] = v >>> 16;
      out[4 * i + 2] = v >>> 8;
      out[4 * i + 3] = v;
    }
    b.fill(0); // the block may hold key material (HMAC pads)
    return out;
  }
}

export function sha256(data: Uint8Array): Uint8Array {
  return new Sha256().update(data).digest();
}

/** HMAC-SHA256 with its key padded once: the inner and outer states after the padded key block. */
export class HmacSha256 {
  private readonly inner: Sha256;
  private readonly outer: Sha256;

  constructor(key: Uint8Array) {
    // RFC 2104 section 2: keys longer than the block are hashed first, shorter ones zero-padded.
    const k = new Uint8Array(64);
    k.set(key.length > 64 ? sha256(key) : key);
    for (let i = 0; i < 64; i++) k[i]! ^= 0x36;
    this.inner = new Sha256().update(k);
    for (let i = 0; i < 64; i++) k[i]! ^= 0x36 ^ 0x5c;
    this.outer = new Sha256().update(k);
    k.fill(0);
  }

  mac(...parts: Uint8Array[]): Uint8Array {
    const inner = this.inner.copy();
    for (const p of parts) inner.update(p);
    return this.outer.copy().update(inner.digest()).digest();
  }
}

export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  return new HmacSha256(key).mac(data);
}
