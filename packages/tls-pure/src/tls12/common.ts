import type { CryptoProvider } from '../crypto/provider.js';
import { prf12 } from '../key-schedule.js';
import { Tls12Protection } from '../record/protection.js';
import type { CipherSuite } from '../suites.js';
import { Reader, Writer, concat } from '../bytes.js';
import { PeerMisbehaved, fatal } from '../alerts.js';
import { HandshakeType, encodeHandshake } from '../messages/handshake.js';

/** RFC 5246 8.1 and RFC 7627 4: the master secret, extended (session hash) when both sides agreed. */
export function masterSecret12(
  p: CryptoProvider, suite: CipherSuite, pms: Uint8Array, ems: boolean, sessionHash: Uint8Array, clientRandom: Uint8Array, serverRandom: Uint8Array,
): Uint8Array {
  return ems
    ? prf12(p, suite.hash, pms, 'extended master secret', sessionHash, 48)
    : prf12(p, suite.hash, pms, 'master secret', concat(clientRandom, serverRandom), 48);
}

/** Both directions' record protection, as each side's write keys. */
export interface KeyBlock12 {
  client: Tls12Protection;
  server: Tls12Protection;
}

/** RFC 5246 6.3 key block for AEAD suites: client key, server key, client IV, server IV. */
export function keyBlock12(
  p: CryptoProvider, suite: CipherSuite, master: Uint8Array, clientRandom: Uint8Array, serverRandom: Uint8Array,
): KeyBlock12 {
  const ivLen = suite.aead === 'chacha20-poly1305' ? 12 : 4;
  const kb = prf12(p, suite.hash, master, 'key expansion', concat(serverRandom, clientRandom), 2 * suite.keyLen + 2 * ivLen);
  const k = suite.keyLen;
  return {
    client: new Tls12Protection(p, suite, kb.subarray(0, k), kb.subarray(2 * k, 2 * k + ivLen)),
    server: new Tls12Protection(p, suite, kb.subarray(k, 2 * k), kb.subarray(2 * k + ivLen, 2 * k + 2 * ivLen)),
  };
}

/** RFC 5246 7.4.9 Finished verify_data. */
export function verifyData12(p: CryptoProvider, suite: CipherSuite, master: Uint8Array, label: 'client finished' | 'server finished', transcript: Uint8Array): Uint8Array {
  return prf12(p, suite.hash, master, label, p.hash(suite.hash, transcript), 12);
}

/** RFC 8422 5.4 ServerECDHParams: named_curve only. */
export function encodeEcdhParams(group: number, pub: Uint8Array): Uint8Array {
  return new Writer().u8(3).u16(group).vec8(pub).finish();
}

export function parseServerKeyExchange(body: Uint8Array): { params: Uint8Array; group: number; pub: Uint8Array; scheme: number; signature: Uint8Array } {
  const r = new Reader(body, 'ServerKeyExchange');
  const curveType = r.u8();
  if (curveType !== 3) throw fatal(PeerMisbehaved.ServerKeyExchangeNotNamedCurve);
  const group = r.u16();
  const pub = r.vec8(1);
  const params = body.subarray(0, 4 + pub.length);
  const scheme = r.u16();
  const signature = r.vec16(1);
  r.end();
  return { params, group, pub, scheme, signature };
}

export function encodeNewSessionTicket12(lifetime: number, ticket: Uint8Array): Uint8Array {
  return encodeHandshake(HandshakeType.new_session_ticket, new Writer().u32(lifetime).vec16(ticket).finish());
}

export function parseNewSessionTicket12(body: Uint8Array): { lifetime: number; ticket: Uint8Array } {
  const r = new Reader(body, 'NewSessionTicket');
  const lifetime = r.u32();
  const ticket = r.vec16();
  r.end();
  return { lifetime, ticket };
}

/** RFC 5746 3.2: the renegotiation_info for an initial handshake is an empty renegotiated_connection. */
export function checkInitialRenegotiationInfo(data: Uint8Array | undefined): void {
  if (data && (data.length !== 1 || data[0] !== 0)) throw fatal(PeerMisbehaved.NonEmptyRenegotiationInfo);
}

export const EMPTY_RENEGOTIATION_INFO = Uint8Array.of(0);
/** RFC 5746 3.3: the cipher suite value a client may send instead of an empty renegotiation_info. */
export const TLS_EMPTY_RENEGOTIATION_INFO_SCSV = 0x00ff;
