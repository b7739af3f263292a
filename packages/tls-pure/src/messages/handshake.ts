import { PeerMisbehaved, fatal } from '../alerts.js';
import { ByteQueue } from '../byte-queue.js';
import { constantTimeEqual } from '../bytes.js';

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

/**
 * The largest legal ClientHello body (RFC 5246 7.4.1.2 / RFC 8446 4.1.2 at every vector's
 * maximum): version 2 + random 32 + session id 1+32 + cipher suites 2+65534 + compression 1+255
 * + extensions 2+65535.
 */
export const MAX_CLIENT_HELLO_BODY = 2 + 32 + 1 + 32 + 2 + 65534 + 1 + 255 + 2 + 65535;
/** No handshake message we accept is larger: every legal ClientHello fits, and a long certificate chain with room. */
export const MAX_HANDSHAKE_MESSAGE = Math.max(1 << 17, MAX_CLIENT_HELLO_BODY);

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
 * Checks a Finished verify_data: a wrong length is decode_error, a wrong value decrypt_error
 * (RFC 8446 4.4.4, RFC 5246 7.4.9), compared in constant time.
 */
export function checkFinished(expected: Uint8Array, received: Uint8Array, side: string): void {
  if (received.length !== expected.length) throw fatal(PeerMisbehaved.FinishedWrongLength, side);
  if (!constantTimeEqual(expected, received)) throw fatal(PeerMisbehaved.BadFinished, side);
}

/**
 * Reassembles handshake messages that span records, and splits records that hold several
 * (RFC 8446 5.1). The declared length is checked before anything is buffered for it.
 */
export class HandshakeReassembler {
  private readonly queue = new ByteQueue();

  push(fragment: Uint8Array): void {
    this.queue.push(fragment);
  }

  next(): HandshakeMessage | undefined {
    if (this.queue.length < 4) return undefined;
    const h = this.queue.peek(4);
    const len = (h[1]! << 16) | (h[2]! << 8) | h[3]!;
    if (len > MAX_HANDSHAKE_MESSAGE) throw fatal(PeerMisbehaved.HandshakeMessageTooLong, `${len} bytes`);
    if (this.queue.length < 4 + len) return undefined;
    const raw = this.queue.take(4 + len);
    return { type: raw[0]!, body: raw.subarray(4), raw };
  }

  /** True when part of a message is buffered: RFC 8446 5.1 forbids a key change mid-message. */
  get pending(): boolean {
    return this.queue.length > 0;
  }
}
