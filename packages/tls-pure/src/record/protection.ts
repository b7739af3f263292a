import type { Aead, CryptoProvider } from '../crypto/provider.js';
import type { CipherSuite } from '../suites.js';
import { PeerMisbehaved, fatal } from '../alerts.js';
import { ContentType, MAX_PLAINTEXT } from './framing.js';

function seqBytes(seq: number): Uint8Array {
  const b = new Uint8Array(8);
  let s = seq;
  for (let i = 7; i >= 0; i--) {
    b[i] = s & 0xff;
    s = Math.floor(s / 256);
  }
  return b;
}

/** Per-record nonce: the IV XOR the 64-bit sequence number, left-padded (RFC 8446 5.3, RFC 7905 2). */
function xorNonce(iv: Uint8Array, seq: number): Uint8Array {
  const n = iv.slice();
  const s = seqBytes(seq);
  for (let i = 0; i < 8; i++) n[n.length - 8 + i]! ^= s[i]!;
  return n;
}

/** Records protect and unprotect data in one direction. */
export interface RecordProtection {
  /** Encrypts one record's worth (at most MAX_PLAINTEXT) of `type` content into a whole record. */
  seal(type: number, plaintext: Uint8Array): Uint8Array;
  /** The same record as consecutive parts, without a copy into one buffer where the AEAD allows it. */
  sealParts(type: number, plaintext: Uint8Array): Uint8Array[];
  /** Decrypts a record; returns the real content type and content. Throws bad_record_mac. */
  open(type: number, header: Uint8Array, fragment: Uint8Array): { type: number; content: Uint8Array };
}

/** RFC 8446 section 5.2: TLSInnerPlaintext inside application_data records. */
export class Tls13Protection implements RecordProtection {
  private seq = 0;
  private readonly aead: Aead;
  constructor(p: CryptoProvider, suite: CipherSuite, key: Uint8Array, private readonly iv: Uint8Array) {
    this.aead = p.aead(suite.aead, key);
  }

  /** `padding` zero bytes after the content type hide the length (RFC 8446 5.4); we send none by default. */
  seal(type: number, plaintext: Uint8Array, padding = 0): Uint8Array {
    const r = this.record(type, plaintext, padding);
    return this.aead.sealRecord(r.nonce, r.header, r.header, plaintext, r.suffix);
  }

  sealParts(type: number, plaintext: Uint8Array): Uint8Array[] {
    const r = this.record(type, plaintext, 0);
    if (!this.aead.sealRecordParts) return [this.aead.sealRecord(r.nonce, r.header, r.header, plaintext, r.suffix)];
    return this.aead.sealRecordParts(r.nonce, r.header, r.header, plaintext, r.suffix);
  }

  /** The next record's nonce, header (also its AAD, 5.2) and TLSInnerPlaintext tail: type || zeros. */
  private record(type: number, plaintext: Uint8Array, padding: number): { nonce: Uint8Array; header: Uint8Array; suffix: Uint8Array } {
    const suffix = new Uint8Array(1 + padding);
    suffix[0] = type;
    const len = plaintext.length + suffix.length + 16;
    const header = Uint8Array.of(ContentType.application_data, 3, 3, len >> 8, len & 0xff);
    return { nonce: xorNonce(this.iv, this.seq++), header, suffix };
  }

  open(type: number, header: Uint8Array, fragment: Uint8Array): { type: number; content: Uint8Array } {
    // RFC 8446 5.2: protected records are application_data and at most 2^14 + 256 bytes.
    if (type !== ContentType.application_data) throw fatal(PeerMisbehaved.UnprotectedRecordAfterKeyChange, `type ${type}`);
    if (fragment.length > MAX_PLAINTEXT + 256) throw fatal(PeerMisbehaved.CiphertextRecordTooLong);
    const inner = this.aead.open(xorNonce(this.iv, this.seq), header, fragment);
    // The sequence number moves only on success, so a skipped early-data record (RFC 8446 4.2.10) costs nothing.
    if (!inner) throw fatal(PeerMisbehaved.BadRecordMac);
    this.seq++;
    // RFC 8446 5.4: TLSInnerPlaintext (content, type and padding) is at most 2^14 + 1 bytes.
    if (inner.length > MAX_PLAINTEXT + 1) throw fatal(PeerMisbehaved.InnerPlaintextTooLong);
    // Strip zero padding; the last non-zero byte is the real content type (RFC 8446 5.4).
    let i = inner.length - 1;
    while (i >= 0 && inner[i] === 0) i--;
    if (i < 0) throw fatal(PeerMisbehaved.MissingInnerContentType);
    if (i > MAX_PLAINTEXT) throw fatal(PeerMisbehaved.PlaintextRecordTooLong);
    return { type: inner[i]!, content: inner.subarray(0, i) };
  }
}

/** RFC 5288 (AES-GCM: 4-byte implicit + 8-byte explicit nonce) and RFC 7905 (ChaCha20: XOR nonce). */
export class Tls12Protection implements RecordProtection {
  private seq = 0;
  private readonly aead: Aead;
  private readonly explicitNonce: boolean;
  constructor(p: CryptoProvider, suite: CipherSuite, key: Uint8Array, private readonly iv: Uint8Array) {
    this.aead = p.aead(suite.aead, key);
    this.explicitNonce = suite.aead !== 'chacha20-poly1305';
  }

  private aad(seq: number, type: number, len: number): Uint8Array {
    const a = new Uint8Array(13);
    a.set(seqBytes(seq));
    a[8] = type;
    a[9] = 3;
    a[10] = 3;
    a[11] = len >> 8;
    a[12] = len & 0xff;
    return a;
  }

  seal(type: number, plaintext: Uint8Array): Uint8Array {
    return this.protect(type, plaintext, false)[0]!;
  }

  sealParts(type: number, plaintext: Uint8Array): Uint8Array[] {
    return this.protect(type, plaintext, true);
  }

  private protect(type: number, plaintext: Uint8Array, asParts: boolean): Uint8Array[] {
    const seq = this.seq++;
    const aad = this.aad(seq, type, plaintext.length);
    // RFC 5288 3: AES-GCM records carry the nonce's explicit part before the ciphertext.
    const explicitLen = this.explicitNonce ? 8 : 0;
    const len = explicitLen + plaintext.length + 16;
    const prefix = new Uint8Array(5 + explicitLen);
    prefix.set([type, 3, 3, len >> 8, len & 0xff]);
    let nonce: Uint8Array;
    if (this.explicitNonce) {
      const explicit = seqBytes(seq);
      prefix.set(explicit, 5);
      nonce = new Uint8Array(12);
      nonce.set(this.iv.subarray(0, 4));
      nonce.set(explicit, 4);
    } else {
      nonce = xorNonce(this.iv, seq);
    }
    const none = new Uint8Array(0);
    if (asParts && this.aead.sealRecordParts) return this.aead.sealRecordParts(nonce, aad, prefix, plaintext, none);
    return [this.aead.sealRecord(nonce, aad, prefix, plaintext, none)];
  }

  open(type: number, _header: Uint8Array, fragment: Uint8Array): { type: number; content: Uint8Array } {
    const seq = this.seq++;
    let nonce: Uint8Array;
    let ct: Uint8Array;
    if (this.explicitNonce) {
      if (fragment.length < 8 + 16) throw fatal(PeerMisbehaved.RecordTooShort);
      nonce = new Uint8Array(12);
      nonce.set(this.iv.subarray(0, 4));
      nonce.set(fragment.subarray(0, 8), 4);
      ct = fragment.subarray(8);
    } else {
      if (fragment.length < 16) throw fatal(PeerMisbehaved.RecordTooShort);
      nonce = xorNonce(this.iv, seq);
      ct = fragment;
    }
    const plainLen = ct.length - 16;
    if (plainLen > MAX_PLAINTEXT) throw fatal(PeerMisbehaved.PlaintextRecordTooLong);
    const content = this.aead.open(nonce, this.aad(seq, type, plainLen), ct);
    if (!content) throw fatal(PeerMisbehaved.BadRecordMac);
    return { type, content };
  }
}
