import { PeerMisbehaved, fatal } from './alerts.js';

/**
 * A bounds-checked reader over a TLS message. Every length is checked before it is used
 * (RFC 8446 section 3: vectors carry their length prefix); a short or overlong field is a
 * decode_error alert, never an exception of another kind.
 */
export class Reader {
  private pos = 0;
  constructor(private readonly buf: Uint8Array, private readonly what = 'message') {}

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number): void {
    if (n > this.buf.length - this.pos) {
      throw fatal(PeerMisbehaved.TruncatedMessage, this.what);
    }
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  u16(): number {
    this.need(2);
    const v = (this.buf[this.pos]! << 8) | this.buf[this.pos + 1]!;
    this.pos += 2;
    return v;
  }

  u24(): number {
    this.need(3);
    const v = (this.buf[this.pos]! << 16) | (this.buf[this.pos + 1]! << 8) | this.buf[this.pos + 2]!;
    this.pos += 3;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = ((this.buf[this.pos]! << 24) >>> 0) + ((this.buf[this.pos + 1]! << 16) | (this.buf[this.pos + 2]! << 8) | this.buf[this.pos + 3]!);
    this.pos += 4;
    return v;
  }

  bytes(n: number): Uint8Array {
    this.need(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** A vector with a 1-, 2- or 3-byte length prefix; `min`/`max` are the RFC's bounds. */
  vec8(min = 0, max = 0xff): Uint8Array {
    return this.bounded(this.u8(), min, max);
  }
  vec16(min = 0, max = 0xffff): Uint8Array {
    return this.bounded(this.u16(), min, max);
  }
  vec24(min = 0, max = 0xffffff): Uint8Array {
    return this.bounded(this.u24(), min, max);
  }

  private bounded(len: number, min: number, max: number): Uint8Array {
    if (len < min || len > max) throw fatal(PeerMisbehaved.BadVectorLength, `${len} bytes in ${this.what}`);
    return this.bytes(len);
  }

  /** A sub-reader over a length-prefixed vector. */
  sub16(what: string, min = 0): Reader {
    return new Reader(this.vec16(min), what);
  }

  /** Every byte was consumed; trailing bytes are a decode_error. */
  end(): void {
    if (this.pos !== this.buf.length) throw fatal(PeerMisbehaved.TrailingBytes, this.what);
  }
}

/** An append-only byte builder with length-prefixed nested vectors (a growing buffer). */
export class Writer {
  private buf = new Uint8Array(256);
  private len = 0;

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  u8(v: number): this {
    this.room(1);
    this.buf[this.len++] = v & 0xff;
    return this;
  }
  u16(v: number): this {
    this.room(2);
    this.buf[this.len++] = (v >> 8) & 0xff;
    this.buf[this.len++] = v & 0xff;
    return this;
  }
  u24(v: number): this {
    this.room(3);
    this.buf[this.len++] = (v >> 16) & 0xff;
    this.buf[this.len++] = (v >> 8) & 0xff;
    this.buf[this.len++] = v & 0xff;
    return this;
  }
  u32(v: number): this {
    this.room(4);
    this.buf[this.len++] = (v >>> 24) & 0xff;
    this.buf[this.len++] = (v >> 16) & 0xff;
    this.buf[this.len++] = (v >> 8) & 0xff;
    this.buf[this.len++] = v & 0xff;
    return this;
  }
  bytes(b: Uint8Array): this {
    this.room(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }
  vec8(b: Uint8Array): this {
    return this.u8(b.length).bytes(b);
  }
  vec16(b: Uint8Array): this {
    return this.u16(b.length).bytes(b);
  }
  vec24(b: Uint8Array): this {
    return this.u24(b.length).bytes(b);
  }
  /** Writes a 2-byte length prefix around what `fill` writes. */
  nested16(fill: (w: Writer) => void): this {
    const w = new Writer();
    fill(w);
    return this.vec16(w.finish());
  }
  nested8(fill: (w: Writer) => void): this {
    const w = new Writer();
    fill(w);
    return this.vec8(w.finish());
  }
  nested24(fill: (w: Writer) => void): this {
    const w = new Writer();
    fill(w);
    return this.vec24(w.finish());
  }
  /** The bytes written, as their own buffer. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Constant-time equality for secrets (Finished verify_data, binders, ticket MACs). */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

export function fromHex(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
}

export const utf8 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));
