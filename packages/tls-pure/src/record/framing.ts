import { PeerMisbehaved, fatal } from '../alerts.js';
import { ByteQueue } from '../byte-queue.js';

/** RFC 8446 section 5.1 ContentType. */
export const ContentType = {
  change_cipher_spec: 20,
  alert: 21,
  handshake: 22,
  application_data: 23,
} as const;

/** The most plaintext one record carries (RFC 8446 5.1). */
export const MAX_PLAINTEXT = 1 << 14;
/** RFC 5246 6.2.3 allows 2048 bytes of expansion; RFC 8446 5.2 allows 256. We accept the larger and check per version after decryption. */
export const MAX_CIPHERTEXT = MAX_PLAINTEXT + 2048;

export interface TlsRecord {
  type: number;
  /** The 5-byte header, which TLS 1.3 uses as AEAD additional data. */
  header: Uint8Array;
  fragment: Uint8Array;
}

/**
 * Splits the transport byte stream into records (RFC 8446 section 5.1). A header with an
 * unknown content type, a wrong major version or an oversize length is fatal before any of the
 * body is buffered, so a peer cannot make us hold more than one record's worth of bytes.
 */
export class RecordDeframer {
  private readonly queue = new ByteQueue();

  push(data: Uint8Array): void {
    this.queue.push(data);
  }

  next(): TlsRecord | undefined {
    if (this.queue.length < 5) return undefined;
    const h = this.queue.peek(5);
    const type = h[0]!;
    const version = (h[1]! << 8) | h[2]!;
    const length = (h[3]! << 8) | h[4]!;
    if (type < 20 || type > 23) throw fatal(PeerMisbehaved.UnknownRecordContentType, `type ${type}`);
    if (h[1] !== 3) throw fatal(PeerMisbehaved.BadRecordVersion, `0x${version.toString(16)}`);
    if (length > MAX_CIPHERTEXT) throw fatal(PeerMisbehaved.RecordTooLong, `${length} bytes`);
    if (this.queue.length < 5 + length) return undefined;
    const whole = this.queue.take(5 + length);
    return { type, header: whole.subarray(0, 5), fragment: whole.subarray(5) };
  }
}

export function encodeRecord(type: number, version: number, fragment: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + fragment.length);
  out[0] = type;
  out[1] = version >> 8;
  out[2] = version & 0xff;
  out[3] = fragment.length >> 8;
  out[4] = fragment.length & 0xff;
  out.set(fragment, 5);
  return out;
}
