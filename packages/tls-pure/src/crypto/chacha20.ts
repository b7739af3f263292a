/**
 * ChaCha20 (RFC 8439 section 2.4) for the record layer, keyed once per traffic key.
 *
 * Compared with @noble/ciphers' `chacha20(key, nonce, data, out, counter)` per record: the key
 * words are read once (not per record), and each block's keystream is XORed into the output as
 * it leaves the rounds, 32 bits at a time, instead of being stored into a block buffer and read
 * back. Input and output may be different buffers, so a record is encrypted straight from the
 * caller's plaintext into the record buffer (no copy first). The 32-bit path needs a
 * little-endian host and 4-byte-aligned buffers; anything else takes the byte path, which gives
 * the same bytes. Checked against @noble/ciphers and RFC 8439's vectors in test/aead.test.ts.
 */

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

// "expand 32-byte k" (RFC 8439 2.3).
const C0 = 0x61707865;
const C1 = 0x3320646e;
const C2 = 0x79622d32;
const C3 = 0x6b206574;

const le32 = (b: Uint8Array, i: number): number => b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);

export class ChaCha20 {
  private readonly k: Int32Array;
  /** One block of keystream for partial blocks and unaligned buffers. */
  private readonly block = new Int32Array(16);
  private readonly blockBytes = new Uint8Array(this.block.buffer);

  constructor(key: Uint8Array) {
    if (key.length !== 32) throw new Error('chacha20: 32-byte key expected');
    this.k = new Int32Array(8);
    for (let i = 0; i < 8; i++) this.k[i] = le32(key, 4 * i);
  }

  /** dst = src XOR the keystream of (nonce, counter...) (dst.length >= src.length; dst may be src). */
  xor(nonce: Uint8Array, counter: number, src: Uint8Array, dst: Uint8Array): void {
    if (nonce.length !== 12) throw new Error('chacha20: 12-byte nonce expected');
    const len = src.length;
    // RFC 8439 2.4: the 32-bit block counter must not wrap within one message.
    if (counter + Math.ceil(len / 64) > 0x100000000) throw new Error('chacha20: counter overflow');
    const n0 = le32(nonce, 0);
    const n1 = le32(nonce, 4);
    const n2 = le32(nonce, 8);
    const k = this.k;
    const k0 = k[0]!, k1 = k[1]!, k2 = k[2]!, k3 = k[3]!, k4 = k[4]!, k5 = k[5]!, k6 = k[6]!, k7 = k[7]!;
    if (LITTLE_ENDIAN && src !== dst && src.byteOffset % 4 !== 0 && dst.byteOffset % 4 === 0) {
      // An unaligned source (a slice of node's Buffer pool, say): one copy, then in place.
      dst.set(src);
      src = dst;
    }
    const fast = LITTLE_ENDIAN && src.byteOffset % 4 === 0 && dst.byteOffset % 4 === 0;
    const whole = fast ? len >>> 6 : 0;
    const s32 = whole > 0 ? new Int32Array(src.buffer, src.byteOffset, whole * 16) : this.block;
    const d32 = whole > 0 ? new Int32Array(dst.buffer, dst.byteOffset, whole * 16) : this.block;
    const blocks = Math.ceil(len / 64);
    let ctr = counter | 0;
    for (let b = 0; b < blocks; b++, ctr = (ctr + 1) | 0) {
      let x0 = C0, x1 = C1, x2 = C2, x3 = C3;
      let x4 = k0, x5 = k1, x6 = k2, x7 = k3, x8 = k4, x9 = k5, x10 = k6, x11 = k7;
      let x12 = ctr, x13 = n0, x14 = n1, x15 = n2;
      for (let r = 0; r < 10; r++) {
        // Column round.
        x0 = (x0 + x4) | 0; x12 ^= x0; x12 = (x12 << 16) | (x12 >>> 16);
        x8 = (x8 + x12) | 0; x4 ^= x8; x4 = (x4 << 12) | (x4 >>> 20);
        x0 = (x0 + x4) | 0; x12 ^= x0; x12 = (x12 << 8) | (x12 >>> 24);
        x8 = (x8 + x12) | 0; x4 ^= x8; x4 = (x4 << 7) | (x4 >>> 25);
        x1 = (x1 + x5) | 0; x13 ^= x1; x13 = (x13 << 16) | (x13 >>> 16);
        x9 = (x9 + x13) | 0; x5 ^= x9; x5 = (x5 << 12) | (x5 >>> 20);
        x1 = (x1 + x5) | 0; x13 ^= x1; x13 = (x13 << 8) | (x13 >>> 24);
        x9 = (x9 + x13) | 0; x5 ^= x9; x5 = (x5 << 7) | (x5 >>> 25);
        x2 = (x2 + x6) | 0; x14 ^= x2; x14 = (x14 << 16) | (x14 >>> 16);
        x10 = (x10 + x14) | 0; x6 ^= x10; x6 = (x6 << 12) | (x6 >>> 20);
        x2 = (x2 + x6) | 0; x14 ^= x2; x14 = (x14 << 8) | (x14 >>> 24);
        x10 = (x10 + x14) | 0; x6 ^= x10; x6 = (x6 << 7) | (x6 >>> 25);
        x3 = (x3 + x7) | 0; x15 ^= x3; x15 = (x15 << 16) | (x15 >>> 16);
        x11 = (x11 + x15) | 0; x7 ^= x11; x7 = (x7 << 12) | (x7 >>> 20);
        x3 = (x3 + x7) | 0; x15 ^= x3; x15 = (x15 << 8) | (x15 >>> 24);
        x11 = (x11 + x15) | 0; x7 ^= x11; x7 = (x7 << 7) | (x7 >>> 25);
        // Diagonal round.
        x0 = (x0 + x5) | 0; x15 ^= x0; x15 = (x15 << 16) | (x15 >>> 16);
        x10 = (x10 + x15) | 0; x5 ^= x10; x5 = (x5 << 12) | (x5 >>> 20);
        x0 = (x0 + x5) | 0; x15 ^= x0; x15 = (x15 << 8) | (x15 >>> 24);
        x10 = (x10 + x15) | 0; x5 ^= x10; x5 = (x5 << 7) | (x5 >>> 25);
        x1 = (x1 + x6) | 0; x12 ^= x1; x12 = (x12 << 16) | (x12 >>> 16);
        x11 = (x11 + x12) | 0; x6 ^= x11; x6 = (x6 << 12) | (x6 >>> 20);
        x1 = (x1 + x6) | 0; x12 ^= x1; x12 = (x12 << 8) | (x12 >>> 24);
        x11 = (x11 + x12) | 0; x6 ^= x11; x6 = (x6 << 7) | (x6 >>> 25);
        x2 = (x2 + x7) | 0; x13 ^= x2; x13 = (x13 << 16) | (x13 >>> 16);
        x8 = (x8 + x13) | 0; x7 ^= x8; x7 = (x7 << 12) | (x7 >>> 20);
        x2 = (x2 + x7) | 0; x13 ^= x2; x13 = (x13 << 8) | (x13 >>> 24);
        x8 = (x8 + x13) | 0; x7 ^= x8; x7 = (x7 << 7) | (x7 >>> 25);
        x3 = (x3 + x4) | 0; x14 ^= x3; x14 = (x14 << 16) | (x14 >>> 16);
        x9 = (x9 + x14) | 0; x4 ^= x9; x4 = (x4 << 12) | (x4 >>> 20);
        x3 = (x3 + x4) | 0; x14 ^= x3; x14 = (x14 << 8) | (x14 >>> 24);
        x9 = (x9 + x14) | 0; x4 ^= x9; x4 = (x4 << 7) | (x4 >>> 25);
      }
      // RFC 8439 2.3: add the input state back; XOR straight into the output when aligned.
      const inBlock = b < whole;
      const src32 = inBlock ? s32 : this.block;
      const dst32 = inBlock ? d32 : this.block;
      const o = inBlock ? b * 16 : 0;
      if (!inBlock) this.block.fill(0);
      dst32[o] = src32[o]! ^ ((x0 + C0) | 0);
      dst32[o + 1] = src32[o + 1]! ^ ((x1 + C1) | 0);
      dst32[o + 2] = src32[o + 2]! ^ ((x2 + C2) | 0);
      dst32[o + 3] = src32[o + 3]! ^ ((x3 + C3) | 0);
      dst32[o + 4] = src32[o + 4]! ^ ((x4 + k0) | 0);
      dst32[o + 5] = src32[o + 5]! ^ ((x5 + k1) | 0);
      dst32[o + 6] = src32[o + 6]! ^ ((x6 + k2) | 0);
      dst32[o + 7] = src32[o + 7]! ^ ((x7 + k3) | 0);
      dst32[o + 8] = src32[o + 8]! ^ ((x8 + k4) | 0);
      dst32[o + 9] = src32[o + 9]! ^ ((x9 + k5) | 0);
      dst32[o + 10] = src32[o + 10]! ^ ((x10 + k6) | 0);
      dst32[o + 11] = src32[o + 11]! ^ ((x11 + k7) | 0);
      dst32[o + 12] = src32[o + 12]! ^ ((x12 + ctr) | 0);
      dst32[o + 13] = src32[o + 13]! ^ ((x13 + n0) | 0);
      dst32[o + 14] = src32[o + 14]! ^ ((x14 + n1) | 0);
      dst32[o + 15] = src32[o + 15]! ^ ((x15 + n2) | 0);
      if (!inBlock) this.xorTail(src, dst, b * 64, Math.min(64, len - b * 64));
    }
    this.block.fill(0);
  }

  /** The keystream block in `this.block` (as 32-bit words) XORed into bytes [off, off + n). */
  private xorTail(src: Uint8Array, dst: Uint8Array, off: number, n: number): void {
    const w = this.block;
    if (LITTLE_ENDIAN) {
      const ks = this.blockBytes;
      for (let i = 0; i < n; i++) dst[off + i] = src[off + i]! ^ ks[i]!;
      return;
    }
    // RFC 8439 2.4: keystream words are serialised little-endian.
    for (let i = 0; i < n; i++) dst[off + i] = src[off + i]! ^ ((w[i >> 2]! >>> (8 * (i & 3))) & 0xff);
  }

  /** The one-time Poly1305 key for a nonce: the first 32 bytes of block 0 (RFC 8439 2.6), into `out`. */
  polyKey(nonce: Uint8Array, out: Uint8Array = new Uint8Array(32)): Uint8Array {
    out.fill(0, 0, 32);
    this.xor(nonce, 0, out.subarray(0, 32), out);
    return out;
  }
}
