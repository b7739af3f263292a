import * as nc from 'node:crypto';
import type { Aead, AeadName, CryptoProvider, GroupName, KeyExchange } from './provider.js';
import { SCHEMES } from './schemes.js';

const CIPHER: Record<AeadName, string> = {
  'aes-128-gcm': 'aes-128-gcm',
  'aes-256-gcm': 'aes-256-gcm',
  'chacha20-poly1305': 'chacha20-poly1305',
};

const EMPTY = new Uint8Array(0);

class NodeAead implements Aead {
  constructor(private readonly alg: AeadName, private readonly key: Uint8Array) {}
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    return this.sealRecord(nonce, aad, EMPTY, plaintext, EMPTY);
  }
  sealRecord(nonce: Uint8Array, aad: Uint8Array, prefix: Uint8Array, plaintext: Uint8Array, suffix: Uint8Array): Uint8Array {
    const out = Buffer.concat(this.sealRecordParts(nonce, aad, prefix, plaintext, suffix));
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  }
  sealRecordParts(nonce: Uint8Array, aad: Uint8Array, prefix: Uint8Array, plaintext: Uint8Array, suffix: Uint8Array): Uint8Array[] {
    const c = nc.createCipheriv(CIPHER[this.alg] as nc.CipherGCMTypes, this.key, nonce, { authTagLength: 16 });
    const n = plaintext.length + suffix.length;
    c.setAAD(aad, { plaintextLength: n });
    const parts: Uint8Array[] = prefix.length ? [prefix] : [];
    // GCM and ChaCha20-Poly1305 are stream modes: update returns as many bytes as it is given.
    let produced = 0;
    for (const part of [c.update(plaintext), suffix.length ? c.update(suffix) : EMPTY, c.final()]) {
      if (part.length === 0) continue;
      parts.push(part);
      produced += part.length;
    }
    if (produced !== n) throw new Error('AEAD output length mismatch');
    parts.push(c.getAuthTag());
    return parts;
  }
  open(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array | null {
    if (ciphertext.length < 16) return null;
    try {
      const d = nc.createDecipheriv(CIPHER[this.alg] as nc.CipherGCMTypes, this.key, nonce, { authTagLength: 16 });
      d.setAAD(aad, { plaintextLength: ciphertext.length - 16 });
      d.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
      const out = Buffer.concat([d.update(ciphertext.subarray(0, ciphertext.length - 16)), d.final()]);
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    } catch {
      return null;
    }
  }
}

const CURVE: Record<GroupName, string> = { x25519: 'x25519', secp256r1: 'prime256v1', secp384r1: 'secp384r1' };

function ecdhe(group: GroupName): KeyExchange {
  if (group === 'x25519') {
    const { privateKey, publicKey } = nc.generateKeyPairSync('x25519');
    const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
    return {
      group,
      publicKey: new Uint8Array(raw),
      agree(peer) {
        if (peer.length !== 32) throw new Error('bad x25519 share length');
        const spki = Buffer.concat([Buffer.from('302a300506032b656e032100', 'hex'), peer]);
        const pub = nc.createPublicKey({ key: spki, format: 'der', type: 'spki' });
        const s = new Uint8Array(nc.diffieHellman({ privateKey, publicKey: pub }));
        if (s.every((b) => b === 0)) throw new Error('x25519 shared secret is zero');
        return s;
      },
    };
  }
  const ecdh = nc.createECDH(CURVE[group]);
  ecdh.generateKeys();
  return {
    group,
    publicKey: new Uint8Array(ecdh.getPublicKey()),
    agree(peer) {
      const len = group === 'secp256r1' ? 65 : 97;
      if (peer.length !== len || peer[0] !== 4) throw new Error('bad ECDH share encoding');
      return new Uint8Array(ecdh.computeSecret(peer));
    },
  };
}

function signOptions(key: nc.KeyObject, scheme: number): { alg: string | null; opts: nc.SignKeyObjectInput } {
  const info = SCHEMES.get(scheme);
  if (!info) throw new Error(`unknown signature scheme ${scheme}`);
  if (info.algo === 'ed25519') return { alg: null, opts: { key } };
  if (info.algo === 'ecdsa') return { alg: info.hash, opts: { key, dsaEncoding: 'der' } };
  if (info.algo === 'pss') {
    return { alg: info.hash, opts: { key, padding: nc.constants.RSA_PKCS1_PSS_PADDING, saltLength: nc.constants.RSA_PSS_SALTLEN_DIGEST } };
  }
  return { alg: info.hash, opts: { key, padding: nc.constants.RSA_PKCS1_PADDING } };
}

/** node:crypto (OpenSSL inside Node) for every primitive: the fast provider. */
export const nodeCryptoProvider: CryptoProvider = {
  name: 'node',
  // OpenSSL uses AES-NI / ARMv8 AES where the CPU has them, which is every server CPU of the last decade.
  hardwareAes: true,
  random: (n) => new Uint8Array(nc.randomBytes(n)),
  hash: (alg, data) => new Uint8Array(nc.createHash(alg).update(data).digest()),
  hmac: (alg, key, data) => new Uint8Array(nc.createHmac(alg, key).update(data).digest()),
  aead: (alg, key) => new NodeAead(alg, key),
  keyExchange: ecdhe,
  sign(key, scheme, message) {
    const { alg, opts } = signOptions(key, scheme);
    return new Uint8Array(nc.sign(alg, message, opts));
  },
  verify(key, scheme, message, signature) {
    try {
      const { alg, opts } = signOptions(key, scheme);
      return nc.verify(alg, message, opts, signature);
    } catch {
      return false;
    }
  },
};
