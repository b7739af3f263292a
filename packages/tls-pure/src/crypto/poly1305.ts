/**
 * Poly1305 (RFC 8439 section 2.5) in float64 arithmetic: the accumulator and r in six 22-bit
 * limbs, so every partial product (< 2^45, times 20 when it wraps past 2^132) and every column
 * sum of six of them (< 2^52) is an exact double. That is about a third of the multiplications
 * of the usual 13-bit-limb integer form. Messages of 32 bytes or more take two blocks per step
 * with r^2 (computed on first use, so a short record does not pay for it). The final reduction
 * mod 2^130 - 5 and the addition of s are 32-bit integer code with no branch on the value (it
 * was BigInt, a few µs per record). Checked against @noble/ciphers' poly1305 and RFC 8439 vectors.
 */
const LIMB = 4194304; // 2^22
const MASK = 0x3fffff;
const INV_LIMB = 1 / LIMB; // exact: a power of two

export class Poly1305 {
  /** r (0-5), 20 r (6-11), r^2 (12-17), 20 r^2 (18-23) and the accumulator h (24-29): one allocation per message. */
  private readonly st = new Float64Array(30);
  private squared = false;
  private s: Uint8Array;
  private readonly tail = new Uint8Array(16);
  private tailLen = 0;

  constructor(key: Uint8Array) {
    this.s = key;
    this.reset(key);
  }

  /**
   * Starts a new message under a new one-time key, reusing this object's buffers (the AEAD
   * keeps one per traffic key instead of allocating one per record). `key` must stay unchanged
   * until digest().
   */
  reset(key: Uint8Array): this {
    if (key.length !== 32) throw new Error('poly1305: 32-byte key expected');
    this.squared = false;
    this.tailLen = 0;
    this.st.fill(0, 24, 30);
    // RFC 8439 2.5: clamp r.
    const w0 = le32(key, 0) & 0x0fffffff;
    const w1 = le32(key, 4) & 0x0ffffffc;
    const w2 = le32(key, 8) & 0x0ffffffc;
    const w3 = le32(key, 12) & 0x0ffffffc;
    const st = this.st;
    st[0] = w0 & MASK;
    st[1] = ((w0 >>> 22) | (w1 << 10)) & MASK;
    st[2] = ((w1 >>> 12) | (w2 << 20)) & MASK;
    st[3] = (w2 >>> 2) & MASK;
    st[4] = ((w2 >>> 24) | (w3 << 8)) & MASK;
    st[5] = w3 >>> 14;
    // 2^132 = 4 * 2^130 = 20 (mod 2^130 - 5)
    for (let i = 0; i < 6; i++) st[6 + i] = st[i]! * 20;
    this.s = key.subarray(16, 32);
    return this;
  }

  /** r^2, for two blocks per step: ((h + m1) r + m2) r = (h + m1) r^2 + m2 r. */
  private square(): void {
    const st = this.st;
    const r = [st[0]!, st[1]!, st[2]!, st[3]!, st[4]!, st[5]!];
    const sq = mulReduce(r, r, [st[6]!, st[7]!, st[8]!, st[9]!, st[10]!, st[11]!]);
    for (let i = 0; i < 6; i++) {
      st[12 + i] = sq[i]!;
      st[18 + i] = sq[i]! * 20;
    }
    this.squared = true;
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
    if (len < 64) return this.shortBlocks(m, off, len, hibit);
    const view = new DataView(m.buffer, m.byteOffset + off, len);
    if (!this.squared) this.square();
    const st = this.st;
    const r0 = st[0]!, r1 = st[1]!, r2 = st[2]!, r3 = st[3]!, r4 = st[4]!, r5 = st[5]!;
    const t1 = st[7]!, t2 = st[8]!, t3 = st[9]!, t4 = st[10]!, t5 = st[11]!;
    const s0 = st[12]!, s1 = st[13]!, s2 = st[14]!, s3 = st[15]!, s4 = st[16]!, s5 = st[17]!;
    const u1 = st[19]!, u2 = st[20]!, u3 = st[21]!, u4 = st[22]!, u5 = st[23]!;
    const top = hibit * 262144; // 2^128 is bit 18 of limb 5
    let h0 = st[24]!, h1 = st[25]!, h2 = st[26]!, h3 = st[27]!, h4 = st[28]!, h5 = st[29]!;
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
    st[24] = h0; st[25] = h1; st[26] = h2; st[27] = h3; st[28] = h4; st[29] = h5;
  }

  /**
   * One to three blocks (AAD, a short record's tail, the lengths block): the words read straight
   * from the bytes, without the DataView (an allocation per call) the long path amortises.
   */
  private shortBlocks(m: Uint8Array, off: number, len: number, hibit: number): void {
    const st = this.st;
    const r0 = st[0]!, r1 = st[1]!, r2 = st[2]!, r3 = st[3]!, r4 = st[4]!, r5 = st[5]!;
    const t1 = st[7]!, t2 = st[8]!, t3 = st[9]!, t4 = st[10]!, t5 = st[11]!;
    const top = hibit * 262144;
    let h0 = st[24]!, h1 = st[25]!, h2 = st[26]!, h3 = st[27]!, h4 = st[28]!, h5 = st[29]!;
    for (let p = off; p < off + len; p += 16) {
      const w0 = le32(m, p);
      const w1 = le32(m, p + 4);
      const w2 = le32(m, p + 8);
      const w3 = le32(m, p + 12);
      h0 += w0 & MASK;
      h1 += ((w0 >>> 22) | (w1 << 10)) & MASK;
      h2 += ((w1 >>> 12) | (w2 << 20)) & MASK;
      h3 += (w2 >>> 2) & MASK;
      h4 += ((w2 >>> 24) | (w3 << 8)) & MASK;
      h5 += (w3 >>> 14) + top;
      const d0 = h0 * r0 + h1 * t5 + h2 * t4 + h3 * t3 + h4 * t2 + h5 * t1;
      let d1 = h0 * r1 + h1 * r0 + h2 * t5 + h3 * t4 + h4 * t3 + h5 * t2;
      let d2 = h0 * r2 + h1 * r1 + h2 * r0 + h3 * t5 + h4 * t4 + h5 * t3;
      let d3 = h0 * r3 + h1 * r2 + h2 * r1 + h3 * r0 + h4 * t5 + h5 * t4;
      let d4 = h0 * r4 + h1 * r3 + h2 * r2 + h3 * r1 + h4 * r0 + h5 * t5;
      let d5 = h0 * r5 + h1 * r4 + h2 * r3 + h3 * r2 + h4 * r1 + h5 * r0;
      let c = Math.floor(d0 * INV_LIMB); h0 = d0 - c * LIMB; d1 += c;
      c = Math.floor(d1 * INV_LIMB); h1 = d1 - c * LIMB; d2 += c;
      c = Math.floor(d2 * INV_LIMB); h2 = d2 - c * LIMB; d3 += c;
      c = Math.floor(d3 * INV_LIMB); h3 = d3 - c * LIMB; d4 += c;
      c = Math.floor(d4 * INV_LIMB); h4 = d4 - c * LIMB; d5 += c;
      c = Math.floor(d5 * INV_LIMB); h5 = d5 - c * LIMB; h0 += c * 20;
      c = Math.floor(h0 * INV_LIMB); h0 -= c * LIMB; h1 += c;
    }
    st[24] = h0; st[25] = h1; st[26] = h2; st[27] = h3; st[28] = h4; st[29] = h5;
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
    const st = this.st;
    let h0 = st[24]!, h1 = st[25]!, h2 = st[26]!, h3 = st[27]!, h4 = st[28]!, h5 = st[29]!;
    // Carry fully and fold bits 130 and up back in (2^130 = 5 mod p). The third pass moves at
    // most the carry of a 5 added to limb 0, so all limbs end below 2^22 and h below 2^130.
    for (let pass = 0; pass < 3; pass++) {
      let c = Math.floor(h0 * INV_LIMB); h0 -= c * LIMB; h1 += c;
      c = Math.floor(h1 * INV_LIMB); h1 -= c * LIMB; h2 += c;
      c = Math.floor(h2 * INV_LIMB); h2 -= c * LIMB; h3 += c;
      c = Math.floor(h3 * INV_LIMB); h3 -= c * LIMB; h4 += c;
      c = Math.floor(h4 * INV_LIMB); h4 -= c * LIMB; h5 += c;
      c = Math.floor(h5 * INV_TOP); h5 -= c * TOP; h0 += c * 5;
    }
    // Now h < 2^130 in 22-bit limbs (limb 5 below 2^20). h mod p is h - p when h + 5 reaches 2^130:
    // compute g = h + 5 - 2^130 and take it under a 0/1 mask, without a branch on h.
    let g0 = h0 + 5;
    let c = Math.floor(g0 * INV_LIMB);
    g0 -= c * LIMB;
    let g1 = h1 + c; c = Math.floor(g1 * INV_LIMB); g1 -= c * LIMB;
    let g2 = h2 + c; c = Math.floor(g2 * INV_LIMB); g2 -= c * LIMB;
    let g3 = h3 + c; c = Math.floor(g3 * INV_LIMB); g3 -= c * LIMB;
    let g4 = h4 + c; c = Math.floor(g4 * INV_LIMB); g4 -= c * LIMB;
    let g5 = h5 + c;
    const use = Math.floor(g5 * INV_TOP); // 1 when h >= p
    g5 -= use * TOP;
    const keep = 1 - use;
    h0 = h0 * keep + g0 * use; h1 = h1 * keep + g1 * use; h2 = h2 * keep + g2 * use;
    h3 = h3 * keep + g3 * use; h4 = h4 * keep + g4 * use; h5 = h5 * keep + g5 * use;
    // The low 128 bits as 32-bit words, plus s (RFC 8439 2.5: tag = (h + s) mod 2^128).
    const w0 = (h0 | (h1 << 22)) >>> 0;
    const w1 = ((h1 >>> 10) | (h2 << 12)) >>> 0;
    const w2 = ((h2 >>> 20) | (h3 << 2) | (h4 << 24)) >>> 0;
    const w3 = ((h4 >>> 8) | (h5 << 14)) >>> 0;
    const key = this.s;
    const out = new Uint8Array(16);
    let acc = w0 + le32u(key, 0);
    writeLe32(out, 0, acc);
    acc = w1 + le32u(key, 4) + Math.floor(acc / 4294967296);
    writeLe32(out, 4, acc);
    acc = w2 + le32u(key, 8) + Math.floor(acc / 4294967296);
    writeLe32(out, 8, acc);
    acc = w3 + le32u(key, 12) + Math.floor(acc / 4294967296);
    writeLe32(out, 12, acc);
    st.fill(0);
    return out;
  }
}

const TOP = 1048576; // 2^20: limb 5 holds bits 110..129 of a value below 2^130
const INV_TOP = 1 / TOP;
const le32 = (b: Uint8Array, i: number): number => b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
const le32u = (b: Uint8Array, i: number): number => le32(b, i) >>> 0;
/** The low 32 bits of v (0 <= v < 2^33) little-endian at out[i..]. */
function writeLe32(out: Uint8Array, i: number, v: number): void {
  const w = v % 4294967296;
  out[i] = w & 0xff;
  out[i + 1] = (w >>> 8) & 0xff;
  out[i + 2] = (w >>> 16) & 0xff;
  out[i + 3] = (w >>> 24) & 0xff;
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
