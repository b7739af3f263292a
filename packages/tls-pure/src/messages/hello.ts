import { PeerMisbehaved, fatal } from '../alerts.js';
import { Reader, Writer } from '../bytes.js';
import { Ext, parseExtensions, u16s, writeExtensions, type Extensions } from './extensions.js';

export interface ClientHello {
  legacyVersion: number;
  random: Uint8Array;
  sessionId: Uint8Array;
  cipherSuites: number[];
  compressionMethods: Uint8Array;
  extensions: Extensions;
}

/** RFC 8446 4.1.2 / RFC 5246 7.4.1.2. */
export function parseClientHello(body: Uint8Array): ClientHello {
  const r = new Reader(body, 'ClientHello');
  const legacyVersion = r.u16();
  const random = r.bytes(32);
  const sessionId = r.vec8(0, 32);
  const cipherSuites = u16s(r.vec16(2, 0xfffe), 'cipher_suites');
  const compressionMethods = r.vec8(1);
  const { map, order } = parseExtensions(r, 'ClientHello');
  r.end();
  if (map.has(Ext.pre_shared_key) && order[order.length - 1] !== Ext.pre_shared_key) {
    throw fatal(PeerMisbehaved.PskNotLastExtension);
  }
  return { legacyVersion, random, sessionId, cipherSuites, compressionMethods, extensions: map };
}

export function encodeClientHello(ch: {
  random: Uint8Array; sessionId: Uint8Array; cipherSuites: number[]; extensions: Array<[number, Uint8Array]>;
}): Uint8Array {
  const w = new Writer().u16(0x0303).bytes(ch.random).vec8(ch.sessionId);
  w.nested16((s) => ch.cipherSuites.forEach((c) => s.u16(c)));
  w.vec8(Uint8Array.of(0));
  writeExtensions(w, ch.extensions);
  return w.finish();
}

export interface ServerHello {
  legacyVersion: number;
  random: Uint8Array;
  sessionId: Uint8Array;
  cipherSuite: number;
  compression: number;
  extensions: Extensions;
}

/** RFC 8446 4.1.4: the random that marks a ServerHello as a HelloRetryRequest. */
export const HRR_RANDOM = new Uint8Array(Buffer.from('CF21AD74E59A6111BE1D8C021E65B891C2A211167ABB8C5E079E09E2C8A8339C', 'hex'));
/** RFC 8446 4.1.3: downgrade sentinels in the last 8 bytes of ServerHello.random. */
export const DOWNGRADE_TLS12 = new Uint8Array(Buffer.from('444F574E47524401', 'hex'));
export const DOWNGRADE_TLS11 = new Uint8Array(Buffer.from('444F574E47524400', 'hex'));

export function parseServerHello(body: Uint8Array): ServerHello {
  const r = new Reader(body, 'ServerHello');
  const legacyVersion = r.u16();
  const random = r.bytes(32);
  const sessionId = r.vec8(0, 32);
  const cipherSuite = r.u16();
  const compression = r.u8();
  const { map } = parseExtensions(r, 'ServerHello');
  r.end();
  return { legacyVersion, random, sessionId, cipherSuite, compression, extensions: map };
}

export function encodeServerHello(sh: {
  random: Uint8Array; sessionId: Uint8Array; cipherSuite: number; extensions: Array<[number, Uint8Array]>;
}): Uint8Array {
  const w = new Writer().u16(0x0303).bytes(sh.random).vec8(sh.sessionId).u16(sh.cipherSuite).u8(0);
  writeExtensions(w, sh.extensions);
  return w.finish();
}
