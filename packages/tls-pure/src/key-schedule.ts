import type { CryptoProvider, HashName } from './crypto/provider.js';
import { HASH_LEN } from './crypto/provider.js';
import { Writer, concat, utf8 } from './bytes.js';

/** RFC 5869 HKDF-Extract. */
export function hkdfExtract(p: CryptoProvider, hash: HashName, salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  return p.hmac(hash, salt.length ? salt : new Uint8Array(HASH_LEN[hash]), ikm);
}

/** RFC 5869 HKDF-Expand. */
export function hkdfExpand(p: CryptoProvider, hash: HashName, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let t = new Uint8Array(0);
  let done = 0;
  for (let i = 1; done < length; i++) {
    t = p.hmac(hash, prk, concat(t, info, Uint8Array.of(i))) as Uint8Array<ArrayBuffer>;
    out.set(t.subarray(0, Math.min(t.length, length - done)), done);
    done += t.length;
  }
  return out;
}

/** RFC 8446 section 7.1 HKDF-Expand-Label. */
export function hkdfExpandLabel(
  p: CryptoProvider, hash: HashName, secret: Uint8Array, label: string, context: Uint8Array, length: number,
): Uint8Array {
  const info = new Writer().u16(length).vec8(utf8(`tls13 ${label}`)).vec8(context).finish();
  return hkdfExpand(p, hash, secret, info, length);
}

/** The traffic key and IV derived from a traffic secret (RFC 8446 section 7.3). */
export function trafficKeys(p: CryptoProvider, hash: HashName, secret: Uint8Array, keyLen: number): { key: Uint8Array; iv: Uint8Array } {
  return {
    key: hkdfExpandLabel(p, hash, secret, 'key', new Uint8Array(0), keyLen),
    iv: hkdfExpandLabel(p, hash, secret, 'iv', new Uint8Array(0), 12),
  };
}

/**
 * Values of the key schedule that are the same for every handshake without a PSK: Hash(""),
 * the early secret HKDF-Extract(0, 0) and Derive-Secret(early secret, "derived", ""). They are
 * public constants (RFC 8448 section 3 prints them), computed once per provider and hash.
 */
interface FullHandshakeConstants {
  emptyHash: Uint8Array;
  earlySecret: Uint8Array;
  derivedFromEarly: Uint8Array;
}
const constantsByProvider = new WeakMap<CryptoProvider, Map<HashName, FullHandshakeConstants>>();

function fullHandshakeConstants(p: CryptoProvider, hash: HashName): FullHandshakeConstants {
  let byHash = constantsByProvider.get(p);
  if (!byHash) constantsByProvider.set(p, (byHash = new Map<HashName, FullHandshakeConstants>()));
  let c = byHash.get(hash);
  if (!c) {
    const zeros = new Uint8Array(HASH_LEN[hash]);
    const emptyHash = p.hash(hash, new Uint8Array(0));
    const earlySecret = hkdfExtract(p, hash, zeros, zeros);
    const derivedFromEarly = hkdfExpandLabel(p, hash, earlySecret, 'derived', emptyHash, HASH_LEN[hash]);
    byHash.set(hash, (c = { emptyHash, earlySecret, derivedFromEarly }));
  }
  return c;
}

/**
 * The TLS 1.3 key schedule (RFC 8446 section 7.1): early secret, handshake secret, master
 * secret, and the secrets derived from each with the transcript hash at that point.
 */
export class KeySchedule13 {
  readonly hashLen: number;
  private secret: Uint8Array;
  /** Set while the current secret is the early secret of a full (PSK-less) handshake. */
  private constants: FullHandshakeConstants | undefined;

  constructor(private readonly p: CryptoProvider, readonly hash: HashName, psk?: Uint8Array) {
    this.hashLen = HASH_LEN[hash];
    if (psk) {
      this.secret = hkdfExtract(p, hash, new Uint8Array(this.hashLen), psk);
    } else {
      this.constants = fullHandshakeConstants(p, hash);
      this.secret = this.constants.earlySecret;
    }
  }

  private emptyHash(): Uint8Array {
    return fullHandshakeConstants(this.p, this.hash).emptyHash;
  }

  /** Derive-Secret(current, label, transcript) where `transcriptHash` is already hashed. */
  derive(label: string, transcriptHash: Uint8Array): Uint8Array {
    return hkdfExpandLabel(this.p, this.hash, this.secret, label, transcriptHash, this.hashLen);
  }

  /** The PSK binder key (RFC 8446 4.2.11.2), from the early secret. */
  resumptionBinderKey(): Uint8Array {
    return this.derive('res binder', this.emptyHash());
  }

  /** Early secret -> handshake secret with the (EC)DHE shared secret. */
  inputHandshakeSecret(ecdhe: Uint8Array): void {
    const salt = this.constants?.derivedFromEarly ?? this.derive('derived', this.emptyHash());
    this.constants = undefined;
    this.secret = hkdfExtract(this.p, this.hash, salt, ecdhe);
  }

  /** Handshake secret -> master secret. */
  inputMasterSecret(): void {
    const salt = this.derive('derived', this.emptyHash());
    this.secret = hkdfExtract(this.p, this.hash, salt, new Uint8Array(this.hashLen));
  }

  finishedKey(baseKey: Uint8Array): Uint8Array {
    return hkdfExpandLabel(this.p, this.hash, baseKey, 'finished', new Uint8Array(0), this.hashLen);
  }

  /** Finished verify_data (RFC 8446 4.4.4). */
  finishedMac(baseKey: Uint8Array, transcriptHash: Uint8Array): Uint8Array {
    return this.p.hmac(this.hash, this.finishedKey(baseKey), transcriptHash);
  }

  /** application_traffic_secret_N+1 (RFC 8446 7.2). */
  nextTrafficSecret(secret: Uint8Array): Uint8Array {
    return hkdfExpandLabel(this.p, this.hash, secret, 'traffic upd', new Uint8Array(0), this.hashLen);
  }

  /** The PSK a NewSessionTicket stands for (RFC 8446 4.6.1). */
  resumptionPsk(resumptionMaster: Uint8Array, nonce: Uint8Array): Uint8Array {
    return hkdfExpandLabel(this.p, this.hash, resumptionMaster, 'resumption', nonce, this.hashLen);
  }
}

/** RFC 5246 section 5: PRF(secret, label, seed) = P_<hash>(secret, label + seed). */
export function prf12(p: CryptoProvider, hash: HashName, secret: Uint8Array, label: string, seed: Uint8Array, length: number): Uint8Array {
  const labelSeed = concat(utf8(label), seed);
  const out = new Uint8Array(length);
  let a = labelSeed;
  let done = 0;
  while (done < length) {
    a = p.hmac(hash, secret, a);
    const chunk = p.hmac(hash, secret, concat(a, labelSeed));
    out.set(chunk.subarray(0, Math.min(chunk.length, length - done)), done);
    done += chunk.length;
  }
  return out;
}
