import type { KeyObject } from 'node:crypto';

export type HashName = 'sha256' | 'sha384' | 'sha512';
export type AeadName = 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';
export type GroupName = 'x25519' | 'secp256r1' | 'secp384r1';

/** An AEAD keyed once per traffic direction (RFC 5116). `open` returns null on a bad tag. */
export interface Aead {
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /**
   * A whole record in one buffer: `prefix` (the record header, sent in the clear) followed by
   * the ciphertext of plaintext || suffix (TLS 1.3's inner content type and padding) and the
   * tag. Sealing a record this way allocates once instead of once per layer.
   */
  sealRecord(nonce: Uint8Array, aad: Uint8Array, prefix: Uint8Array, plaintext: Uint8Array, suffix: Uint8Array): Uint8Array;
  /**
   * Optional: sealRecord's bytes as the parts the cipher produced them in (header, ciphertext,
   * tag), not copied into one buffer. For providers whose cipher allocates its own output
   * (node:crypto): the copy would double the buffer memory a bulk transfer churns through.
   */
  sealRecordParts?(nonce: Uint8Array, aad: Uint8Array, prefix: Uint8Array, plaintext: Uint8Array, suffix: Uint8Array): Uint8Array[];
  open(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array | null;
}

/** One ephemeral (EC)DHE key pair. `agree` throws on an invalid peer share. */
export interface KeyExchange {
  readonly group: GroupName;
  readonly publicKey: Uint8Array;
  agree(peerPublic: Uint8Array): Uint8Array;
}

/** The key kinds certificate keys come in. */
export type KeyKind = 'ec-p256' | 'ec-p384' | 'ed25519' | 'rsa' | 'unsupported';

/**
 * Everything the protocol needs from cryptography. The default is pure JavaScript (@noble/*,
 * node-forge for RSA); `nodeCryptoProvider` uses node:crypto for speed.
 * Signature schemes are the TLS SignatureScheme code points (RFC 8446 section 4.2.3).
 */
export interface CryptoProvider {
  readonly name: string;
  /**
   * AES-GCM is fast and constant-time here (AES instructions behind node:crypto). When it is
   * not (the pure provider's AES is table-based software), servers prefer ChaCha20-Poly1305.
   */
  readonly hardwareAes: boolean;
  random(n: number): Uint8Array;
  hash(alg: HashName, data: Uint8Array): Uint8Array;
  hmac(alg: HashName, key: Uint8Array, data: Uint8Array): Uint8Array;
  aead(alg: AeadName, key: Uint8Array): Aead;
  keyExchange(group: GroupName): KeyExchange;
  sign(key: KeyObject, scheme: number, message: Uint8Array): Uint8Array;
  /** Verifies a signature by `publicKey` (from a certificate); false for a bad signature or unusable key. */
  verify(publicKey: KeyObject, scheme: number, message: Uint8Array, signature: Uint8Array): boolean;
}

export const HASH_LEN: Record<HashName, number> = { sha256: 32, sha384: 48, sha512: 64 };

/** The key kind of a node KeyObject, private or public. */
export function keyKind(key: KeyObject): KeyKind {
  const t = key.asymmetricKeyType;
  if (t === 'rsa') return 'rsa';
  if (t === 'ed25519') return 'ed25519';
  if (t === 'ec') {
    const c = key.asymmetricKeyDetails?.namedCurve;
    if (c === 'prime256v1' || c === 'P-256') return 'ec-p256';
    if (c === 'secp384r1' || c === 'P-384') return 'ec-p384';
  }
  return 'unsupported';
}
