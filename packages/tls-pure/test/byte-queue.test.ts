import { describe, expect, it } from 'vitest';
import { ByteQueue } from '../src/byte-queue.js';

describe('ByteQueue', () => {
  it('peeks and takes across chunk boundaries, byte by byte or in bulk', () => {
    const q = new ByteQueue();
    const all = Uint8Array.from({ length: 1000 }, (_, i) => i & 0xff);
    for (const b of all) q.push(Uint8Array.of(b));
    expect(q.length).toBe(1000);
    expect(Array.from(q.peek(3))).toEqual([0, 1, 2]);
    expect(Array.from(q.take(5))).toEqual([0, 1, 2, 3, 4]);
    q.push(Uint8Array.of(7, 7));
    const rest = q.take(997);
    expect(Array.from(rest)).toEqual([...Array.from(all.subarray(5)), 7, 7]);
    expect(q.length).toBe(0);
    expect(() => q.peek(1)).toThrow(RangeError);
  });

  it('copies what it is given (the caller may reuse its buffer)', () => {
    const q = new ByteQueue();
    const buf = Uint8Array.of(1, 2, 3);
    q.push(buf);
    buf[0] = 9;
    expect(Array.from(q.take(3))).toEqual([1, 2, 3]);
  });
});
