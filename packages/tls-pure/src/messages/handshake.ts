import { AlertDescription, fatal } from '../alerts.js';
import { concat } from '../bytes.js';

/** RFC 8446 section 4 HandshakeType. */
export const HandshakeType = {
  hello_request: 0,
  client_hello: 1,
  server_hello: 2,
  new_session_ticket: 4,
  end_of_early_data: 5,
  encrypted_extensions: 8,
  certificate: 11,
  server_key_exchange: 12,
  certificate_request: 13,
  server_hello_done: 14,
  certificate_verify: 15,
  client_key_exchange: 16,
  finished: 20,
  key_update: 24,
  message_hash: 254,
} as const;

export interface HandshakeMessage {
  type: number;
  body: Uint8Array;
  /** Header + body, as it goes into the transcript. */
  raw: Uint8Array;
}

/** No handshake message we accept is larger (a long certificate chain fits with room). */
export const MAX_HANDSHAKE_MESSAGE = 1 << 17;

export function encodeHandshake(type: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + body.length);
  out[0] = type;
  out[1] = (body.length >> 16) & 0xff;
  out[2] = (body.length >> 8) & 0xff;
  out[3] = body.length & 0xff;
  out.set(body, 4);
  return out;
}

/**
 * Reassembles handshake messages that span records, and splits records that hold several
 * (RFC 8446 5.1). The declared length is checked before anything is buffered for it.
 */
export class HandshakeReassembler {
  private buf: Uint8Array = new Uint8Array(0);

  push(fragment: Uint8Array): void {
    this.buf = this.buf.length ? concat(this.buf, fragment) : fragment.slice();
  }

  next(): HandshakeMessage | undefined {
    if (this.buf.length < 4) return undefined;
    const len = (this.buf[1]! << 16) | (this.buf[2]! << 8) | this.buf[3]!;
    if (len > MAX_HANDSHAKE_MESSAGE) throw fatal(AlertDescription.decode_error, `handshake message of ${len} bytes`);
    if (this.buf.length < 4 + len) return undefined;
    const raw = this.buf.slice(0, 4 + len);
    this.buf = this.buf.subarray(4 + len);
    return { type: raw[0]!, body: raw.subarray(4), raw };
  }

  /** True when part of a message is buffered: RFC 8446 5.1 forbids a key change mid-message. */
  get pending(): boolean {
    return this.buf.length > 0;
  }
}
