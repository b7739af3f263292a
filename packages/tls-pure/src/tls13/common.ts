import type { X509Certificate } from 'node:crypto';
import { keyKind, type CryptoProvider, type HashName } from '../crypto/provider.js';
import { TLS13_SIGNATURE_SCHEMES, schemeFitsKey } from '../crypto/schemes.js';
import type { CipherSuite } from '../suites.js';
import { KeySchedule13, trafficKeys } from '../key-schedule.js';
import { Tls13Protection } from '../record/protection.js';
import { Reader, Writer } from '../bytes.js';
import { certificateVerifyContent, parseCertificateVerify } from '../messages/certificate.js';
import { encodeHandshake, HandshakeType } from '../messages/handshake.js';
import { PeerMisbehaved, fatal } from '../alerts.js';
import type { EngineContext } from '../context.js';
import { Transcript } from '../transcript.js';

/** Record protection for one direction from a TLS 1.3 traffic secret (RFC 8446 7.3). */
export function protectionFor(p: CryptoProvider, suite: CipherSuite, secret: Uint8Array): Tls13Protection {
  const { key, iv } = trafficKeys(p, suite.hash, secret, suite.keyLen);
  return new Tls13Protection(p, suite, key, iv);
}

/**
 * RFC 8446 7.1: the client and server handshake traffic secrets over ClientHello..ServerHello
 * (call after KeySchedule13.inputHandshakeSecret), key-logged under their NSS labels.
 */
export function handshakeTrafficSecrets(
  ctx: EngineContext, ks: KeySchedule13, transcript: Transcript, clientRandom: Uint8Array,
): { client: Uint8Array; server: Uint8Array } {
  const th = transcript.hash(ctx.provider, ks.hash);
  const client = ks.derive('c hs traffic', th);
  const server = ks.derive('s hs traffic', th);
  ctx.keylog('CLIENT_HANDSHAKE_TRAFFIC_SECRET', clientRandom, client);
  ctx.keylog('SERVER_HANDSHAKE_TRAFFIC_SECRET', clientRandom, server);
  return { client, server };
}

/**
 * RFC 8446 7.1: the first application traffic secrets over ClientHello..server Finished (call
 * after KeySchedule13.inputMasterSecret), key-logged with the exporter secret.
 */
export function applicationTrafficSecrets(
  ctx: EngineContext, ks: KeySchedule13, transcript: Transcript, clientRandom: Uint8Array,
): { client: Uint8Array; server: Uint8Array } {
  const th = transcript.hash(ctx.provider, ks.hash);
  const client = ks.derive('c ap traffic', th);
  const server = ks.derive('s ap traffic', th);
  ctx.keylog('CLIENT_TRAFFIC_SECRET_0', clientRandom, client);
  ctx.keylog('SERVER_TRAFFIC_SECRET_0', clientRandom, server);
  ctx.keylog('EXPORTER_SECRET', clientRandom, () => ks.derive('exp master', th));
  return { client, server };
}

/**
 * RFC 8446 4.4.3: checks the peer's CertificateVerify against its certificate and the
 * transcript up to (not including) this message. The scheme must be a TLS 1.3 one fit for the key.
 */
export function verifyPeerCertificateVerify(
  p: CryptoProvider, hash: HashName, transcript: Transcript, peerCert: X509Certificate, peer: 'server' | 'client', body: Uint8Array,
): void {
  const { scheme, signature } = parseCertificateVerify(body);
  const key = peerCert.publicKey;
  if (!TLS13_SIGNATURE_SCHEMES.includes(scheme) || !schemeFitsKey(scheme, keyKind(key), true)) {
    throw fatal(PeerMisbehaved.SignatureSchemeNotOffered, `${peer} CertificateVerify, scheme 0x${scheme.toString(16)}`);
  }
  const content = certificateVerifyContent(peer, transcript.hash(p, hash));
  if (!p.verify(key, scheme, content, signature)) throw fatal(PeerMisbehaved.BadSignature, `${peer} CertificateVerify`);
}

/**
 * RFC 8446 4.2.11.2: the PSK binder over the transcript so far (empty, or up to a
 * HelloRetryRequest) and the ClientHello truncated before its binders list.
 */
export function pskBinder(
  p: CryptoProvider, hash: HashName, psk: Uint8Array, transcript: Transcript, truncatedHello: Uint8Array,
): Uint8Array {
  const ks = new KeySchedule13(p, hash, psk);
  const partial = new Transcript();
  partial.add(transcript.bytes());
  partial.add(truncatedHello);
  return ks.finishedMac(ks.resumptionBinderKey(), partial.hash(p, hash));
}

export function keyUpdateMessage(requestUpdate: boolean): Uint8Array {
  return encodeHandshake(HandshakeType.key_update, Uint8Array.of(requestUpdate ? 1 : 0));
}

export interface NewSessionTicket {
  lifetime: number;
  ageAdd: number;
  nonce: Uint8Array;
  ticket: Uint8Array;
  maxEarlyData: number;
}

/** RFC 8446 4.6.1 NewSessionTicket. */
export function encodeNewSessionTicket(t: NewSessionTicket): Uint8Array {
  const w = new Writer().u32(t.lifetime).u32(t.ageAdd).vec8(t.nonce).vec16(t.ticket).u16(0);
  return encodeHandshake(HandshakeType.new_session_ticket, w.finish());
}

export function parseNewSessionTicket(body: Uint8Array): NewSessionTicket {
  const r = new Reader(body, 'NewSessionTicket');
  const lifetime = r.u32();
  const ageAdd = r.u32();
  const nonce = r.vec8();
  const ticket = r.vec16(1);
  const exts = r.sub16('NewSessionTicket extensions');
  r.end();
  let maxEarlyData = 0;
  while (exts.remaining > 0) {
    const t = exts.u16();
    const d = exts.vec16();
    if (t === 42 && d.length === 4) maxEarlyData = new Reader(d).u32();
  }
  // RFC 8446 4.6.1: lifetime at most seven days.
  if (lifetime > 604800) throw fatal(PeerMisbehaved.TicketLifetimeTooLong);
  return { lifetime, ageAdd, nonce, ticket, maxEarlyData };
}

/** RFC 8446 4.2.11 OfferedPsks. */
export function parseOfferedPsks(data: Uint8Array): { identities: Array<{ identity: Uint8Array; age: number }>; binders: Uint8Array[]; bindersLen: number } {
  const r = new Reader(data, 'pre_shared_key');
  const ids = r.sub16('identities', 7);
  const identities: Array<{ identity: Uint8Array; age: number }> = [];
  while (ids.remaining > 0) identities.push({ identity: ids.vec16(1), age: ids.u32() });
  const bindersRaw = r.vec16(33);
  r.end();
  const br = new Reader(bindersRaw, 'binders');
  const binders: Uint8Array[] = [];
  while (br.remaining > 0) binders.push(br.vec8(32));
  if (binders.length !== identities.length) throw fatal(PeerMisbehaved.PskBinderCountMismatch);
  return { identities, binders, bindersLen: bindersRaw.length + 2 };
}
