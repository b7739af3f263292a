import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import type { CryptoProvider } from './provider.js';

/**
 * The hybrid post-quantum key exchange X25519MLKEM768 (TLS NamedGroup 0x11EC,
 * draft-ietf-tls-ecdhe-mlkem section 3): ML-KEM-768 (FIPS 203, from @noble/post-quantum) next to
 * an ordinary X25519 exchange (the provider's own). For this group the ML-KEM part comes FIRST in
 * every concatenation (the draft's section 3 note: reversed from the hybrid-design convention so
 * that the FIPS-approved secret leads the HKDF input, SP 800-56Cr2):
 *
 *   client share  = ML-KEM encapsulation key (1184) || X25519 public key (32)  = 1216 bytes
 *   server share  = ML-KEM ciphertext (1088)        || X25519 public key (32)  = 1120 bytes
 *   shared secret = ML-KEM shared secret (32)       || X25519 shared secret (32) = 64 bytes
 *
 * The client generates an ML-KEM key pair (keygen) and an X25519 key; the server answers with an
 * encapsulation to the client's key and its own X25519 key. Every random byte comes from the
 * provider, so a provider with fixed randomness replays a handshake exactly.
 */

export const MLKEM768_ENCAPSULATION_KEY_LEN = 1184;
export const MLKEM768_CIPHERTEXT_LEN = 1088;
const X25519_LEN = 32;
export const X25519MLKEM768_CLIENT_SHARE_LEN = MLKEM768_ENCAPSULATION_KEY_LEN + X25519_LEN; // 1216
export const X25519MLKEM768_SERVER_SHARE_LEN = MLKEM768_CIPHERTEXT_LEN + X25519_LEN; // 1120

/** FIPS 203 q, the ML-KEM modulus. */
const Q = 3329;

/** Why a peer's hybrid share was refused; the handshake turns each into its alert. */
export type HybridShareFault =
  /** The share is not 1216 (client) or 1120 (server) bytes: the draft's size check. */
  | 'length'
  /** The encapsulation key fails FIPS 203 7.2's modulus check. */
  | 'modulus'
  /** The X25519 half is invalid: the all-zero shared secret of RFC 8446 7.4.2. */
  | 'x25519';

export class HybridShareError extends Error {
  constructor(readonly fault: HybridShareFault, message: string) {
    super(message);
    this.name = 'HybridShareError';
  }
}

/**
 * FIPS 203 section 7.2, the encapsulation key check: ek's first 384k bytes are k*256 packed
 * 12-bit coefficients (ByteEncode12), each of which must be below q; anything else is a key
 * ByteEncode12(ByteDecode12(ek)) would not reproduce. (The type check, the length, is the
 * caller's.) Reads public data only, so timing does not matter here.
 */
export function mlkemEncapsulationKeyModulusOk(ek: Uint8Array): boolean {
  const packed = MLKEM768_ENCAPSULATION_KEY_LEN - 32; // 384 * k, k = 3; the last 32 bytes are rho
  for (let i = 0; i < packed; i += 3) {
    const b0 = ek[i]!;
    const b1 = ek[i + 1]!;
    const b2 = ek[i + 2]!;
    if ((b0 | ((b1 & 0x0f) << 8)) >= Q || ((b1 >> 4) | (b2 << 4)) >= Q) return false;
  }
  return true;
}

/** The client's half: an ML-KEM-768 key pair and an X25519 key, offered as one key share. */
export interface HybridClientKey {
  /** ML-KEM encapsulation key || X25519 public key, 1216 bytes. */
  readonly publicKey: Uint8Array;
  /** The 64-byte shared secret from the server's share; throws HybridShareError on a bad share. */
  decapsulate(serverShare: Uint8Array): Uint8Array;
}

export function hybridClientKey(provider: CryptoProvider): HybridClientKey {
  const kem = ml_kem768.keygen(provider.random(64)); // FIPS 203 ML-KEM.KeyGen: d || z
  const ecdh = provider.keyExchange('x25519');
  const publicKey = new Uint8Array(X25519MLKEM768_CLIENT_SHARE_LEN);
  publicKey.set(kem.publicKey, 0);
  publicKey.set(ecdh.publicKey, MLKEM768_ENCAPSULATION_KEY_LEN);
  return {
    publicKey,
    decapsulate(serverShare) {
      // The draft: the client MUST check the ciphertext length (illegal_parameter).
      if (serverShare.length !== X25519MLKEM768_SERVER_SHARE_LEN) {
        throw new HybridShareError('length', `server share of ${serverShare.length} bytes, not ${X25519MLKEM768_SERVER_SHARE_LEN}`);
      }
      // ML-KEM decapsulation cannot fail on a well-sized ciphertext: a forged one gives an
      // unrelated secret (implicit rejection, FIPS 203 6.3) and the Finished check fails.
      const mlkemSecret = ml_kem768.decapsulate(serverShare.subarray(0, MLKEM768_CIPHERTEXT_LEN), kem.secretKey);
      return concatSecrets(mlkemSecret, agreeX25519(ecdh, serverShare.subarray(MLKEM768_CIPHERTEXT_LEN)));
    },
  };
}

/**
 * The server's half: checks the client's share (size, FIPS 203 modulus check), encapsulates to
 * its ML-KEM key and runs X25519 against its X25519 key. Returns our share (ciphertext || X25519
 * public key, 1120 bytes) and the 64-byte shared secret.
 */
export function hybridEncapsulate(provider: CryptoProvider, clientShare: Uint8Array): { publicKey: Uint8Array; sharedSecret: Uint8Array } {
  if (clientShare.length !== X25519MLKEM768_CLIENT_SHARE_LEN) {
    throw new HybridShareError('length', `client share of ${clientShare.length} bytes, not ${X25519MLKEM768_CLIENT_SHARE_LEN}`);
  }
  const ek = clientShare.subarray(0, MLKEM768_ENCAPSULATION_KEY_LEN);
  // The draft: the server MUST run FIPS 203's encapsulation key check (illegal_parameter).
  if (!mlkemEncapsulationKeyModulusOk(ek)) throw new HybridShareError('modulus', 'ML-KEM encapsulation key fails the modulus check');
  const ecdh = provider.keyExchange('x25519');
  const x25519Secret = agreeX25519(ecdh, clientShare.subarray(MLKEM768_ENCAPSULATION_KEY_LEN));
  const { cipherText, sharedSecret } = ml_kem768.encapsulate(ek, provider.random(32)); // FIPS 203 ML-KEM.Encaps: m
  const publicKey = new Uint8Array(X25519MLKEM768_SERVER_SHARE_LEN);
  publicKey.set(cipherText, 0);
  publicKey.set(ecdh.publicKey, MLKEM768_CIPHERTEXT_LEN);
  return { publicKey, sharedSecret: concatSecrets(sharedSecret, x25519Secret) };
}

function agreeX25519(ecdh: { agree(peer: Uint8Array): Uint8Array }, peer: Uint8Array): Uint8Array {
  try {
    return ecdh.agree(peer);
  } catch {
    // Length is already right here: what remains is RFC 8446 7.4.2's all-zero result.
    throw new HybridShareError('x25519', 'X25519 half of the share is invalid');
  }
}

function concatSecrets(mlkem: Uint8Array, x25519: Uint8Array): Uint8Array {
  const out = new Uint8Array(64);
  out.set(mlkem, 0);
  out.set(x25519, 32);
  return out;
}
