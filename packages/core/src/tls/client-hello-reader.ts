import { AlertDescription } from './alerts.js';
import { ClientHelloParseError, MAX_CLIENT_HELLO_BYTES, parseClientHelloBody, type ClientHello } from './client-hello.js';

/** TLSPlaintext.length may not exceed 2^14 (RFC 8446 §5.1, RFC 5246 §6.2.1). */
const MAX_PLAINTEXT_RECORD = 16_384;
const RECORD_HEADER = 5;
const HANDSHAKE_HEADER = 4;
const CONTENT_HANDSHAKE = 22;
const HANDSHAKE_CLIENT_HELLO = 1;

/** Why the first flight is not a usable ClientHello, and the alert to send (none for bytes that are not TLS at all). */
export interface ClientHelloFailure {
  reason: 'not-tls' | 'record-overflow' | 'not-client-hello' | 'too-large' | 'malformed';
  detail: string;
  /** The fatal alert to send before closing; undefined: close without a byte (the peer does not speak TLS). */
  alert: number | undefined;
}

export type ClientHelloReadResult =
  | { status: 'more' }
  | { status: 'done'; hello: ClientHello }
  | { status: 'failed'; failure: ClientHelloFailure };

const MORE: ClientHelloReadResult = { status: 'more' };

/**
 * Reassembles the ClientHello from the first bytes of a connection: one handshake message that
 * may be split over several TLS records (RFC 8446 §5.1: a handshake message may be fragmented
 * across records, which must not interleave with other record types) and each record over
 * several TCP reads. Fed chunk by chunk, each byte looked at once (a client dribbling a large
 * ClientHello a byte at a time costs linear work); nothing is copied in the common case, a
 * whole ClientHello in the first record of the first chunk. The bytes fed are not consumed:
 * the caller hands all of them on to the TLS library unchanged.
 */
export class ClientHelloReader {
  private chunks: Buffer[] = [];
  private have = 0;
  /** Bytes of the current record header seen so far (0..5). */
  private header = Buffer.alloc(RECORD_HEADER);
  private headerHave = 0;
  /** Body bytes of the current record still to come; 0 between records. */
  private recordLeft = 0;
  private records = 0;
  /** Handshake bytes collected from record bodies. */
  private fragments: Buffer[] = [];
  private collected = 0;
  /** The ClientHello body length, once the handshake header is in. */
  private msgLength = -1;
  private result: ClientHelloReadResult = MORE;

  /** Every byte fed so far, in one buffer (the first chunk itself when there was one). */
  get bytes(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks, this.have)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  push(chunk: Buffer): ClientHelloReadResult {
    this.chunks.push(chunk);
    this.have += chunk.length;
    if (this.result.status !== 'more') return this.result;
    this.result = this.consume(chunk);
    return this.result;
  }

  private consume(chunk: Buffer): ClientHelloReadResult {
    let p = 0;
    while (p < chunk.length) {
      if (this.recordLeft === 0) {
        // Fast path: a whole record header and the whole message in this chunk's first record.
        if (this.headerHave === 0 && this.records === 0 && chunk.length >= RECORD_HEADER + HANDSHAKE_HEADER) {
          const fast = this.fastPath(chunk);
          if (fast) return fast;
        }
        const n = Math.min(RECORD_HEADER - this.headerHave, chunk.length - p);
        chunk.copy(this.header, this.headerHave, p, p + n);
        this.headerHave += n;
        p += n;
        if (this.header[0] !== CONTENT_HANDSHAKE) return this.badType(this.header[0]!);
        if (this.headerHave < RECORD_HEADER) continue;
        const bad = this.checkHeader(this.header);
        if (bad) return bad;
        this.recordLeft = this.header.readUInt16BE(3);
        this.headerHave = 0;
        this.records++;
        continue;
      }
      const n = Math.min(this.recordLeft, chunk.length - p);
      this.fragments.push(chunk.subarray(p, p + n));
      this.collected += n;
      this.recordLeft -= n;
      p += n;
      if (this.msgLength < 0 && this.collected >= HANDSHAKE_HEADER) {
        const head = this.fragments.length === 1 ? this.fragments[0]! : Buffer.concat(this.fragments, this.collected);
        if (head[0] !== HANDSHAKE_CLIENT_HELLO) return notClientHello(head[0]!);
        this.msgLength = head.readUIntBE(1, 3);
        if (this.msgLength > MAX_CLIENT_HELLO_BYTES) return tooLarge(this.msgLength);
      }
      if (this.msgLength >= 0 && this.collected >= HANDSHAKE_HEADER + this.msgLength) {
        const all = this.fragments.length === 1 ? this.fragments[0]! : Buffer.concat(this.fragments, this.collected);
        this.fragments = [];
        return parsed(all.subarray(HANDSHAKE_HEADER, HANDSHAKE_HEADER + this.msgLength));
      }
    }
    return MORE;
  }

  private fastPath(chunk: Buffer): ClientHelloReadResult | undefined {
    if (chunk[0] !== CONTENT_HANDSHAKE) return this.badType(chunk[0]!);
    const bad = this.checkHeader(chunk);
    if (bad) return bad;
    const len = chunk.readUInt16BE(3);
    if (chunk[RECORD_HEADER] !== HANDSHAKE_CLIENT_HELLO) return notClientHello(chunk[RECORD_HEADER]!);
    const msgLength = chunk.readUIntBE(RECORD_HEADER + 1, 3);
    if (msgLength > MAX_CLIENT_HELLO_BYTES) return tooLarge(msgLength);
    const msgEnd = RECORD_HEADER + HANDSHAKE_HEADER + msgLength;
    if (len < HANDSHAKE_HEADER + msgLength || chunk.length < msgEnd) return undefined;
    return parsed(chunk.subarray(RECORD_HEADER + HANDSHAKE_HEADER, msgEnd));
  }

  private badType(type: number): ClientHelloReadResult {
    return this.records === 0
      ? failed('not-tls', `first byte 0x${type.toString(16)} is not a TLS handshake record`, undefined)
      : failed('malformed', `a record of type ${type} inside the ClientHello`, AlertDescription.unexpected_message);
  }

  private checkHeader(h: Buffer): ClientHelloReadResult | undefined {
    // legacy_record_version: 0x0301 for the first ClientHello, 0x03xx in any case (RFC 8446 §5.1).
    if (h[1] !== 0x03) return failed('not-tls', 'record version is not 3.x', undefined);
    const len = h.readUInt16BE(3);
    if (len > MAX_PLAINTEXT_RECORD) return failed('record-overflow', `a ${len}-byte record`, AlertDescription.record_overflow);
    // "Implementations MUST NOT send zero-length fragments of Handshake types" (RFC 8446 §5.1).
    if (len === 0) return failed('malformed', 'an empty handshake record', AlertDescription.unexpected_message);
    return undefined;
  }
}

function notClientHello(type: number): ClientHelloReadResult {
  return failed('not-client-hello', `handshake message type ${type} instead of ClientHello`, AlertDescription.unexpected_message);
}

function tooLarge(n: number): ClientHelloReadResult {
  return failed('too-large', `a ${n}-byte ClientHello (the largest legal one has ${MAX_CLIENT_HELLO_BYTES})`, AlertDescription.decode_error);
}

function parsed(body: Buffer): ClientHelloReadResult {
  try {
    return { status: 'done', hello: parseClientHelloBody(body) };
  } catch (err) {
    if (err instanceof ClientHelloParseError) return failed('malformed', err.message, AlertDescription.decode_error);
    throw err;
  }
}

function failed(reason: ClientHelloFailure['reason'], detail: string, alert: number | undefined): ClientHelloReadResult {
  return { status: 'failed', failure: { reason, detail, alert } };
}

/**
 * A fatal alert record in plaintext, as sent before any key is agreed (RFC 8446 §6): version
 * 0x0303, level fatal (2), the description.
 */
export function plaintextAlert(description: number): Buffer {
  return Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, description]);
}

/** Parses one buffer holding the start of a connection (tests, tools); never throws. */
export function readClientHello(bytes: Buffer): ClientHelloReadResult {
  return new ClientHelloReader().push(bytes);
}
