import { PeerMisbehaved, fatal } from '../alerts.js';
import { Reader, Writer } from '../bytes.js';
import { parseExtensions, writeExtensions, type Extensions } from './extensions.js';

/** RFC 8446 4.4.2 Certificate (TLS 1.3: context + entries with extensions). */
export function encodeCertificate13(context: Uint8Array, chain: readonly Uint8Array[]): Uint8Array {
  const w = new Writer().vec8(context);
  w.nested24((l) => chain.forEach((c) => {
    l.vec24(c);
    l.u16(0);
  }));
  return w.finish();
}

export function parseCertificate13(body: Uint8Array): { context: Uint8Array; chain: Uint8Array[] } {
  const r = new Reader(body, 'Certificate');
  const context = r.vec8();
  const list = new Reader(r.vec24(), 'certificate_list');
  r.end();
  const chain: Uint8Array[] = [];
  while (list.remaining > 0) {
    chain.push(list.vec24(1));
    list.vec16(); // per-entry extensions (status_request, SCT): we requested none
  }
  return { context, chain };
}

/** RFC 5246 7.4.2 Certificate (TLS 1.2). */
export function encodeCertificate12(chain: readonly Uint8Array[]): Uint8Array {
  return new Writer().nested24((l) => chain.forEach((c) => l.vec24(c))).finish();
}

export function parseCertificate12(body: Uint8Array): Uint8Array[] {
  const r = new Reader(body, 'Certificate');
  const list = new Reader(r.vec24(), 'certificate_list');
  r.end();
  const chain: Uint8Array[] = [];
  while (list.remaining > 0) chain.push(list.vec24(1));
  return chain;
}

/** RFC 8446 4.4.3 CertificateVerify (same wire shape as TLS 1.2's digitally-signed struct). */
export function encodeCertificateVerify(scheme: number, signature: Uint8Array): Uint8Array {
  return new Writer().u16(scheme).vec16(signature).finish();
}

export function parseCertificateVerify(body: Uint8Array): { scheme: number; signature: Uint8Array } {
  const r = new Reader(body, 'CertificateVerify');
  const scheme = r.u16();
  const signature = r.vec16(1);
  r.end();
  return { scheme, signature };
}

/** RFC 8446 4.4.3: the content a CertificateVerify signs. */
export function certificateVerifyContent(side: 'server' | 'client', transcriptHash: Uint8Array): Uint8Array {
  const label = Buffer.from(`TLS 1.3, ${side} CertificateVerify`, 'ascii');
  const out = new Uint8Array(64 + label.length + 1 + transcriptHash.length);
  out.fill(0x20, 0, 64);
  out.set(label, 64);
  out[64 + label.length] = 0;
  out.set(transcriptHash, 64 + label.length + 1);
  return out;
}

/** RFC 8446 4.3.2 CertificateRequest. */
export function encodeCertificateRequest13(context: Uint8Array, exts: Array<[number, Uint8Array]>): Uint8Array {
  const w = new Writer().vec8(context);
  writeExtensions(w, exts);
  return w.finish();
}

export function parseCertificateRequest13(body: Uint8Array): { context: Uint8Array; extensions: Extensions } {
  const r = new Reader(body, 'CertificateRequest');
  const context = r.vec8();
  const { map } = parseExtensions(r, 'CertificateRequest');
  r.end();
  return { context, extensions: map };
}

/** RFC 8446 4.6.3 KeyUpdate. */
export function parseKeyUpdate(body: Uint8Array): boolean {
  const r = new Reader(body, 'KeyUpdate');
  const v = r.u8();
  r.end();
  if (v > 1) throw fatal(PeerMisbehaved.BadKeyUpdateRequest);
  return v === 1;
}
