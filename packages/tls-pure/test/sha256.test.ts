import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HmacSha256, Sha256, hmacSha256, sha256 } from '../src/crypto/sha256.js';

// A fixed-seed generator, so a failure names lengths that can be replayed.
function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('SHA-256 (FIPS 180-4)', () => {
  it('matches the FIPS 180-2 appendix examples', () => {
    expect(hex(sha256(new TextEncoder().encode('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hex(sha256(new Uint8Array(0)))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('matches node:crypto for every length across the padding boundaries (0..300 bytes) and a large input', () => {
    for (let n = 0; n <= 300; n++) {
      const d = bytes(n, n);
      expect(hex(sha256(d)), `length ${n}`).toBe(createHash('sha256').update(d).digest('hex'));
    }
    const big = bytes(100_000, 7);
    expect(hex(sha256(big))).toBe(createHash('sha256').update(big).digest('hex'));
  });

  it('hashes incrementally in any split, and copy() forks the running state', () => {
    const d = bytes(777, 3);
    for (const cuts of [[0], [1, 63], [64, 64], [55, 1, 8, 100], [500]]) {
      const h = new Sha256();
      let at = 0;
      const snapshots: Array<[number, string]> = [];
      for (const c of cuts) {
        h.update(d.subarray(at, at + c));
        at += c;
        snapshots.push([at, hex(h.copy().digest())]);
      }
      h.update(d.subarray(at));
      expect(hex(h.digest())).toBe(createHash('sha256').update(d).digest('hex'));
      for (const [len, digest] of snapshots) expect(digest, `prefix ${len}`).toBe(createHash('sha256').update(d.subarray(0, len)).digest('hex'));
    }
  });
});

describe('HMAC-SHA256 (RFC 2104)', () => {
  it('matches RFC 4231 test case 2', () => {
    const mac = hmacSha256(new TextEncoder().encode('Jefe'), new TextEncoder().encode('what do ya want for nothing?'));
    expect(hex(mac)).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });

  it('matches node:crypto for keys shorter than, equal to and longer than the block, and messages across block boundaries', () => {
    for (const keyLen of [0, 1, 32, 48, 63, 64, 65, 131]) {
      for (const msgLen of [0, 1, 32, 55, 56, 64, 119, 120, 200]) {
        const k = bytes(keyLen, keyLen + 1000);
        const m = bytes(msgLen, msgLen + 2000);
        expect(hex(hmacSha256(k, m)), `key ${keyLen} msg ${msgLen}`).toBe(createHmac('sha256', k).update(m).digest('hex'));
      }
    }
  });

  it('a keyed HmacSha256 gives the same MAC on every use, with the message in parts', () => {
    const k = bytes(32, 1);
    const mac = new HmacSha256(k);
    const m = bytes(90, 2);
    const want = createHmac('sha256', k).update(m).digest('hex');
    expect(hex(mac.mac(m))).toBe(want);
    expect(hex(mac.mac(m.subarray(0, 10), m.subarray(10)))).toBe(want);
  });
});
