/**
 * Received bytes kept as a list of chunks. Reading `n` bytes joins only what those bytes span,
 * so a peer dribbling a record or a handshake message one byte at a time costs linear work,
 * not a copy of everything buffered per byte.
 */
export class ByteQueue {
  private chunks: Uint8Array[] = [];
  private total = 0;

  get length(): number {
    return this.total;
  }

  push(data: Uint8Array): void {
    if (data.length === 0) return;
    // Copy: the caller may reuse its buffer.
    this.chunks.push(data.slice());
    this.total += data.length;
  }

  /** The first `n` bytes (n <= length) without consuming them. */
  peek(n: number): Uint8Array {
    if (n > this.total) throw new RangeError('peek past the end');
    if (this.chunks[0]!.length >= n) return this.chunks[0]!.subarray(0, n);
    // Join the leading chunks that cover n bytes into one, so later peeks are cheap.
    const out = new Uint8Array(n);
    let filled = 0;
    let i = 0;
    while (filled < n) {
      const c = this.chunks[i]!;
      const take = Math.min(c.length, n - filled);
      out.set(c.subarray(0, take), filled);
      filled += take;
      if (take < c.length) {
        this.chunks.splice(0, i + 1, out, c.subarray(take));
        return out;
      }
      i++;
    }
    this.chunks.splice(0, i, out);
    return out;
  }

  /** Removes and returns the first `n` bytes. */
  take(n: number): Uint8Array {
    const out = this.peek(n);
    const first = this.chunks[0]!;
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.total -= n;
    return out;
  }
}
