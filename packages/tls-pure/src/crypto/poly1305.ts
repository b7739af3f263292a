/**
 * Poly1305 (RFC 8439 section 2.5) in float64 arithmetic: the accumulator and r in six 22-bit
 * limbs, so every partial product (< 2^45, times 20 when it wraps past 2^132) and every column
 * sum of six of them (< 2^52) is an exact double. That is about a third of the multiplications
 * of the usual 13-bit-limb integer form. The final reduction mod 2^130 - 5 and the addition of s
 * use BigInt once per message. Checked against @noble/ciphers' poly1305 and RFC 8439 vectors.
 */
const LIMB = 4194304; // 2^22
const MASK = 0x3fffff;
const INV_LIMB = 1 / LIMB; // exact: a power of two

export class Poly1305 {
  private readonly r = new Float64Array(6);
  private readonly r20 = new Float64Array(6);
  private readonly rr = new Float64Array(6);
  private readonly rr20 = new Float64Array(6);
  private readonly h = new Float64Array(6);
  private readonly s: Uint8Array;
  private readonly tail = new Uint8Array(16);
  private tailLen = 0;

  constructor(key: Uint8Array) {
    const k = new DataView(key.buffer, key.byteOffset, 32);
    // RFC 8439 2.5: clamp r.
    const w0 = k.getUint32(0, true) & 0x0fffffff;
    const w1 = k.getUint32(4, true) & 0x0ffffffc;
    const w2 = k.getUint32(8, true) & 0x0ffffffc;
    const w3 = k.getUint32(12, true) & 0x0ffffffc;
    const r = this.r;
    r[0] = w0 & MASK;
    r[1] = ((w0 >>> 22) | (w1 << 10)) & MASK;
    r[2] = ((w1 >>> 12) | (w2 << 20)) & MASK;
    r[3] = (w2 >>> 2) & MASK;
    r[4] = ((w2 >>> 24) | (w3 << 8)) & MASK;
    r[5] = w3 >>> 14;
    // 2^132 = 4 * 2^130 = 20 (mod 2^130 - 5)
    for (let i = 0; i < 6; i++) this.r20[i] = r[i]! * 20;
    // r^2, for two blocks per step: ((h + m1) r + m2) r = (h + m1) r^2 + m2 r.
    const sq = mulReduce([...r], [...r], [...this.r20]);
    for (let i = 0; i < 6; i++) {
      this.rr[i] = sq[i]!;
      this.rr20[i] = sq[i]! * 20;
    }
    this.s = key.slice(16, 32);
  }

  /** Absorbs `data`; whole 16-byte blocks at once, a partial block kept for the next call. */
  update(data: Uint8Array): this {
    let off = 0;
    if (this.tailLen > 0) {
      const take = Math.min(16 - this.tailLen, data.length);
      this.tail.set(data.subarray(0, take), this.tailLen);
      this.tailLen += take;
      off = take;
      if (this.tailLen < 16) return this;
      this.blocks(this.tail, 0, 16, 1);
      this.tailLen = 0;
    }
    const whole = (data.length - off) & ~15;
    if (whole > 0) this.blocks(data, off, whole, 1);
    off += whole;
    if (off < data.length) {
      this.tail.set(data.subarray(off), 0);
      this.tailLen = data.length - off;
    }
    return this;
  }

  /** Zero-pads to a block boundary (RFC 8439 2.8's pad16), as the AEAD construction needs. */
  pad16(): this {
    if (this.tailLen > 0) {
      this.tail.fill(0, this.tailLen);
      this.blocks(this.tail, 0, 16, 1);
      this.tailLen = 0;
    }
    return this;
  }

  private blocks(m: Uint8Array, off: number, len: number, hibit: number): void {
    const view = new DataView(m.buffer, m.byteOffset + off, len);
    const r = this.r;
    const r0 = r[0]!, r1 = r[1]!, r2 = r[2]!, r3 = r[3]!, r4 = r[4]!, r5 = r[5]!;
    const t = this.r20;
    const t1 = t[1]!, t2 = t[2]!, t3 = t[3]!, t4 = t[4]!, t5 = t[5]!;
    const s = this.rr;
    const s0 = s[0]!, s1 = s[1]!, s2 = s[2]!, s3 = s[3]!, s4 = s[4]!, s5 = s[5]!;
    const u = this.rr20;
    const u1 = u[1]!, u2 = u[2]!, u3 = u[3]!, u4 = u[4]!, u5 = u[5]!;
    const top = hibit * 262144; // 2^128 is bit 18 of limb 5
    const h = this.h;
    let h0 = h[0]!, h1 = h[1]!, h2 = h[2]!, h3 = h[3]!, h4 = h[4]!, h5 = h[5]!;
    let p = 0;
    // Two blocks per step: h = (h + m1) r^2 + m2 r, one carry pass for both. Bounds: h + m1 has
    // limbs below 2^23, r^2's are below 2^22 (times 20 when wrapped: 2^26.4), m2's below 2^22
    // and r's below 2^22 (2^26.4 wrapped): a column is below 6 * 2^49.4 + 6 * 2^48.4 < 2^52.5.
    for (; p + 32 <= len; p += 32) {
      let w0 = view.getUint32(p, true);
      let w1 = view.getUint32(p + 4, true);
      let w2 = view.getUint32(p + 8, true);
      let w3 = view.getUint32(p + 12, true);
      h0 += w0 & MASK;
      h1 += ((w0 >>> 22) | (w1 << 10)) & MASK;
      h2 += ((w1 >>> 12) | (w2 << 20)) & MASK;
      h3 += (w2 >>> 2) & MASK;
      h4 += ((w2 >>> 24) | (w3 << 8)) & MASK;
      h5 += (w3 >>> 14) + top;
      w0 = view.getUint32(p + 16, true);
      w1 = view.getUint32(p + 20, true);
      w2 = view.getUint32(p + 24, true);
      w3 = view.getUint32(p + 28, true);
      const m0 = w0 & MASK;
      const m1 = ((w0 >>> 22) | (w1 << 10)) & MASK;
      const m2 = ((w1 >>> 12) | (w2 << 20)) & MASK;
      const m3 = (w2 >>> 2) & MASK;
      const m4 = ((w2 >>> 24) | (w3 << 8)) & MASK;
      const m5 = (w3 >>> 14) + top;
      const d0 = h0 * s0 + h1 * u5 + h2 * u4 + h3 * u3 + h4 * u2 + h5 * u1 + (m0 * r0 + m1 * t5 + m2 * t4 + m3 * t3 + m4 * t2 + m5 * t1);
      let d1 = h0 * s1 + h1 * s0 + h2 * u5 + h3 * u4 + h4 * u3 + h5 * u2 + (m0 * r1 + m1 * r0 + m2 * t5 + m3 * t4 + m4 * t3 + m5 * t2);
      let d2 = h0 * s2 + h1 * s1 + h2 * s0 + h3 * u5 + h4 * u4 + h5 * u3 + (m0 * r2 + m1 * r1 + m2 * r0 + m3 * t5 + m4 * t4 + m5 * t3);
      let d3 = h0 * s3 + h1 * s2 + h2 * s1 + h3 * s0 + h4 * u5 + h5 * u4 + (m0 * r3 + m1 * r2 + m2 * r1 + m3 * r0 + m4 * t5 + m5 * t4);
      let d4 = h0 * s4 + h1 * s3 + h2 * s2 + h3 * s1 + h4 * s0 + h5 * u5 + (m0 * r4 + m1 * r3 + m2 * r2 + m3 * r1 + m4 * r0 + m5 * t5);
      let d5 = h0 * s5 + h1 * s4 + h2 * s3 + h3 * s2 + h4 * s1 + h5 * s0 + (m0 * r5 + m1 * r4 + m2 * r3 + m3 * r2 + m4 * r1 + m5 * r0);
      let c = Math.floor(d0 * INV_LIMB); h0 = d0 - c * LIMB; d1 += c;
      c = Math.floor(d1 * INV_LIMB); h1 = d1 - c * LIMB; d2 += c;
      c = Math.floor(d2 * INV_LIMB); h2 = d2 - c * LIMB; d3 += c;
      c = Math.floor(d3 * INV_LIMB); h3 = d3 - c * LIMB; d4 += c;
      c = Math.floor(d4 * INV_LIMB); h4 = d4 - c * LIMB; d5 += c;
      c = Math.floor(d5 * INV_LIMB); h5 = d5 - c * LIMB; h0 += c * 20;
      c = Math.floor(h0 * INV_LIMB); h0 -= c * LIMB; h1 += c;
    }
    for (; p < len; p += 16) {
      const w0 = view.getUint32(p, true);
      const w1 = view.getUint32(p + 4, true);
      const w2 = view.getUint32(p + 8, true);
      const w3 = view.getUint32(p + 12, true);
      h0 += w0 & MASK;
      h1 += ((w0 >>> 22) | (w1 << 10)) & MASK;
      h2 += ((w1 >>> 12) | (w2 << 20)) & MASK;
      h3 += (w2 >>> 2) & MASK;
      h4 += ((w2 >>> 24) | (w3 << 8)) & MASK;
      h5 += (w3 >>> 14) + top;
      // h * r mod (2^130 - 5): columns of the schoolbook product, wrapped terms times 20.
      const d0 = h0 * r0 + h1 * t5 + h2 * t4 + h3 * t3 + h4 * t2 + h5 * t1;
      let d1 = h0 * r1 + h1 * r0 + h2 * t5 + h3 * t4 + h4 * t3 + h5 * t2;
      let d2 = h0 * r2 + h1 * r1 + h2 * r0 + h3 * t5 + h4 * t4 + h5 * t3;
      let d3 = h0 * r3 + h1 * r2 + h2 * r1 + h3 * r0 + h4 * t5 + h5 * t4;
      let d4 = h0 * r4 + h1 * r3 + h2 * r2 + h3 * r1 + h4 * r0 + h5 * t5;
      let d5 = h0 * r5 + h1 * r4 + h2 * r3 + h3 * r2 + h4 * r1 + h5 * r0;
      // Carry back to 22-bit limbs; the carry out of limb 5 (units of 2^132) wraps as * 20.
      let c = Math.floor(d0 * INV_LIMB); h0 = d0 - c * LIMB; d1 += c;
      c = Math.floor(d1 * INV_LIMB); h1 = d1 - c * LIMB; d2 += c;
      c = Math.floor(d2 * INV_LIMB); h2 = d2 - c * LIMB; d3 += c;
      c = Math.floor(d3 * INV_LIMB); h3 = d3 - c * LIMB; d4 += c;
      c = Math.floor(d4 * INV_LIMB); h4 = d4 - c * LIMB; d5 += c;
      c = Math.floor(d5 * INV_LIMB); h5 = d5 - c * LIMB; h0 += c * 20;
      c = Math.floor(h0 * INV_LIMB); h0 -= c * LIMB; h1 += c;
    }
    h[0] = h0; h[1] = h1; h[2] = h2; h[3] = h3; h[4] = h4; h[5] = h5;
  }

  /** The 16-byte tag. */
  digest(): Uint8Array {
    if (this.tailLen > 0) {
      // RFC 8439 2.5: a final partial block gets a 1 byte after it instead of the 2^128 bit.
      this.tail[this.tailLen] = 1;
      this.tail.fill(0, this.tailLen + 1);
      this.blocks(this.tail, 0, 16, 0);
      this.tailLen = 0;
    }
    let acc = 0n;
    for (let i = 5; i >= 0; i--) acc = (acc << 22n) + BigInt(this.h[i]!);
    const p = (1n << 130n) - 5n;
    acc %= p;
    let s = 0n;
    for (let i = 15; i >= 0; i--) s = (s << 8n) | BigInt(this.s[i]!);
    acc = (acc + s) & ((1n << 128n) - 1n);
    const out = new Uint8Array(16);
    for (let i = 0; i < 16; i++) {
      out[i] = Number(acc & 0xffn);
      acc >>= 8n;
    }
    return out;
  }
}

/** a * b mod 2^130 - 5 on 22-bit limbs (b20 = 20 b), carried back to 22-bit limbs: for r^2, once per key. */
function mulReduce(a: number[], b: number[], b20: number[]): number[] {
  const d: number[] = [];
  for (let k = 0; k < 6; k++) {
    let sum = 0;
    for (let i = 0; i < 6; i++) {
      const j = k - i;
      sum += j >= 0 ? a[i]! * b[j]! : a[i]! * b20[j + 6]!;
    }
    d.push(sum);
  }
  let c = 0;
  for (let pass = 0; pass < 2; pass++) {
    for (let k = 0; k < 6; k++) {
      d[k]! += c;
      c = Math.floor(d[k]! * INV_LIMB);
      d[k]! -= c * LIMB;
    }
    d[0]! += c * 20;
    c = 0;
  }
  return d;
}
