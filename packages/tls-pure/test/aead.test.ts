import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { chacha20, chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { ChaCha20 } from '../src/crypto/chacha20.js';
import { gcm } from '@noble/ciphers/aes.js';
import { poly1305 } from '@noble/ciphers/_poly1305.js';
import { Poly1305 } from '../src/crypto/poly1305.js';
import { nodeCryptoProvider, pureCryptoProvider } from '../src/index.js';
import { fromHex, toHex } from '../src/bytes.js';

describe('Poly1305 (float64 limbs)', () => {
  it('RFC 8439 2.5.2 test vector', () => {
    const key = fromHex('85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b');
    expect(toHex(new Poly1305(key).update(new TextEncoder().encode('Cryptographic Forum Research Group')).digest()))
      .toBe('a8061dc1305136c6c22b8baf0c0127a9');
  });

  it('agrees with @noble/ciphers on random and extreme inputs, however the input is split', () => {
    for (let i = 0; i < 2000; i++) {
      const key = new Uint8Array(randomBytes(32));
      const msg = new Uint8Array(randomBytes(i % 97 === 0 ? 4096 : i % 300));
      if (i % 3 === 0) msg.fill(0xff);
      if (i % 5 === 0) key.fill(0xff, 0, 16);
      if (i % 11 === 0) key.fill(0xff, 16, 32);
      const cut = i % (msg.length + 1);
      const ours = new Poly1305(key).update(msg.subarray(0, cut)).update(msg.subarray(cut)).digest();
      expect(toHex(ours)).toBe(toHex(poly1305(msg, key)));
    }
  });
});

describe('ChaCha20 keyed once (chacha20.ts)', () => {
  it('RFC 8439 2.4.2 test vector', () => {
    const key = fromHex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
    const nonce = fromHex('000000000000004a00000000');
    const pt = new TextEncoder().encode("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.");
    const out = new Uint8Array(pt.length);
    new ChaCha20(key).xor(nonce, 1, pt, out);
    expect(toHex(out.subarray(0, 16))).toBe('6e2e359a2568f98041ba0728dd0d6981');
    expect(toHex(out.subarray(out.length - 2))).toBe('874d');
  });

  it('agrees with @noble/ciphers for every length, counter, alignment of input and output, in place or not', () => {
    const key = new Uint8Array(randomBytes(32));
    const cipher = new ChaCha20(key);
    for (let i = 0; i < 400; i++) {
      const nonce = new Uint8Array(randomBytes(12));
      const len = i < 200 ? i : (i * 131) % 5000;
      const counter = i % 3 === 0 ? 0 : i % 3 === 1 ? 1 : 0xfffffff0 - Math.ceil(len / 64);
      const srcOff = i % 4;
      const dstOff = (i >> 2) % 4;
      const src = new Uint8Array(randomBytes(len + 4)).subarray(srcOff, srcOff + len);
      const want = toHex(chacha20(key, nonce, src.slice(), undefined, counter));
      const dst = new Uint8Array(len + 8).subarray(dstOff, dstOff + len);
      cipher.xor(nonce, counter, src, dst);
      expect(toHex(dst), `len ${len} counter ${counter} offsets ${srcOff}/${dstOff}`).toBe(want);
      const inPlace = src.slice();
      cipher.xor(nonce, counter, inPlace, inPlace);
      expect(toHex(inPlace)).toBe(want);
    }
    expect(() => cipher.xor(new Uint8Array(12), 0xffffffff, new Uint8Array(65), new Uint8Array(65))).toThrow(/counter/);
  });
});

describe('ChaCha20-Poly1305 AEAD of the pure provider', () => {
  it('RFC 8439 2.8.2 test vector', () => {
    const key = fromHex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f');
    const nonce = fromHex('070000004041424344454647');
    const aad = fromHex('50515253c0c1c2c3c4c5c6c7');
    const pt = new TextEncoder().encode("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.");
    const sealed = pureCryptoProvider.aead('chacha20-poly1305', key).seal(nonce, aad, pt);
    expect(toHex(sealed.subarray(sealed.length - 16))).toBe('1ae10b594f09e26a7e902ecbd0600691');
    expect(toHex(sealed.subarray(0, 16))).toBe('d31a8d34648e60db7b86afbc53ef7ec2');
  });

  it('agrees with @noble and node:crypto both ways; a flipped bit fails to open', () => {
    for (let i = 0; i < 300; i++) {
      const key = new Uint8Array(randomBytes(32));
      const nonce = new Uint8Array(randomBytes(12));
      const aad = new Uint8Array(randomBytes(i % 20));
      const pt = new Uint8Array(randomBytes(i * 13));
      const ours = pureCryptoProvider.aead('chacha20-poly1305', key).seal(nonce, aad, pt);
      expect(toHex(ours)).toBe(toHex(chacha20poly1305(key, nonce, aad).encrypt(pt)));
      const theirs = nodeCryptoProvider.aead('chacha20-poly1305', key).seal(nonce, aad, pt);
      expect(toHex(pureCryptoProvider.aead('chacha20-poly1305', key).open(nonce, aad, theirs)!)).toBe(toHex(pt));
      const bad = theirs.slice();
      bad[i % bad.length]! ^= 1 << (i % 8);
      expect(pureCryptoProvider.aead('chacha20-poly1305', key).open(nonce, aad, bad)).toBeNull();
    }
  });
});

describe('AES-GCM AEAD of the pure provider (keyed once, reusable GHASH table)', () => {
  for (const [alg, keyLen] of [['aes-128-gcm', 16], ['aes-256-gcm', 32]] as const) {
    it(`${alg} agrees with @noble and node:crypto both ways, on one key across many records; a flipped bit fails`, () => {
      const key = new Uint8Array(randomBytes(keyLen));
      const keyView = new Uint8Array(keyLen + 1).fill(7);
      keyView.set(key, 1);
      const pure = pureCryptoProvider.aead(alg, keyView.subarray(1)); // keys arrive as unaligned views
      const node = nodeCryptoProvider.aead(alg, key);
      // > 64 KiB in total, so the switch to the wide GHASH table is crossed mid-way.
      for (let i = 0; i < 120; i++) {
        const nonce = new Uint8Array(randomBytes(12));
        const aad = new Uint8Array(randomBytes(i % 21));
        const pt = new Uint8Array(randomBytes(i % 40 === 39 ? 20000 : i * 13));
        // Unaligned views of larger buffers, as records arrive.
        const ptView = i % 2 ? (() => { const b = new Uint8Array(pt.length + 3); b.set(pt, 3); return b.subarray(3); })() : Buffer.concat([Buffer.alloc(1), pt]).subarray(1);
        const ours = pure.seal(nonce, aad, ptView);
        expect(toHex(ours)).toBe(toHex(gcm(key, nonce, aad).encrypt(pt)));
        const theirs = node.seal(nonce, aad, pt);
        expect(toHex(theirs)).toBe(toHex(ours));
        // Node Buffers too (their slice() is a view), as the socket delivers them.
        const ctView = i % 2 ? (() => { const b = new Uint8Array(theirs.length + 1); b.set(theirs, 1); return b.subarray(1); })()
          : Buffer.concat([Buffer.alloc(1), theirs]).subarray(1);
        expect(toHex(pure.open(nonce, aad, ctView)!)).toBe(toHex(pt));
        const bad = theirs.slice();
        bad[i % bad.length]! ^= 1 << (i % 8);
        expect(pure.open(nonce, aad, bad)).toBeNull();
        expect(pure.open(nonce, aad, theirs.subarray(0, 15))).toBeNull();
      }
    });
  }
});

describe('sealRecord: prefix || ciphertext(plaintext || suffix) || tag in one buffer', () => {
  for (const alg of ['aes-128-gcm', 'aes-256-gcm', 'chacha20-poly1305'] as const) {
    it(`${alg}: both providers give prefix || seal(plaintext || suffix), for any prefix length and unaligned views`, () => {
      const key = new Uint8Array(randomBytes(alg === 'aes-128-gcm' ? 16 : 32));
      for (const [prefixLen, n, suffixLen] of [[0, 0, 0], [5, 0, 1], [5, 16384, 1], [13, 1000, 0], [5, 37, 9], [6, 64, 3], [7, 1, 1]] as const) {
        const nonce = new Uint8Array(randomBytes(12));
        const aad = new Uint8Array(randomBytes(13));
        const prefix = new Uint8Array(randomBytes(prefixLen));
        // An odd offset into a larger buffer, as a socket read's subarray would be.
        const backing = new Uint8Array(randomBytes(n + 3));
        const plaintext = backing.subarray(3, 3 + n);
        const suffix = new Uint8Array(randomBytes(suffixLen));
        const inner = new Uint8Array(n + suffixLen);
        inner.set(plaintext);
        inner.set(suffix, n);
        const want = toHex(prefix) + toHex(nodeCryptoProvider.aead(alg, key).seal(nonce, aad, inner));
        for (const provider of [pureCryptoProvider, nodeCryptoProvider]) {
          const record = provider.aead(alg, key).sealRecord(nonce, aad, prefix, plaintext, suffix);
          expect(toHex(record), `${provider.name} ${prefixLen}/${n}/${suffixLen}`).toBe(want);
          const parts = provider.aead(alg, key).sealRecordParts?.(nonce, aad, prefix, plaintext, suffix);
          if (parts) expect(parts.map(toHex).join(''), `${provider.name} parts`).toBe(want);
          const opened = provider.aead(alg, key).open(nonce, aad, record.subarray(prefixLen));
          expect(opened && toHex(opened)).toBe(toHex(inner));
        }
      }
    });
  }
});
