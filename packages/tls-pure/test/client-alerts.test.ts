import { describe, expect, it } from 'vitest';
import { TlsHandshakeError } from '@proxy/core';
import { PureTlsProtocolError, compileClientConfig, newClientEngine, nodeCryptoProvider, type PeerMisbehaved } from '../src/index.js';
import { Writer } from '../src/bytes.js';
import { DOWNGRADE_TLS12, HRR_RANDOM, encodeServerHello, parseClientHello } from '../src/messages/hello.js';
import { Ext, parseClientKeyShares, u16 } from '../src/messages/extensions.js';
import { encodeHandshake } from '../src/messages/handshake.js';
import { encodeRecord } from '../src/record/framing.js';
import { makePki } from './support/pki.js';
import { clientOptions } from './support/options.js';

const pki = makePki();
type Exts = Array<[number, Uint8Array]>;

/** A client engine that has sent its ClientHello, and what it offered. */
function client() {
  const c = newClientEngine(compileClientConfig(clientOptions(pki), { sni: 'localhost', addr: '127.0.0.1:1' }, undefined, nodeCryptoProvider));
  c.start();
  const rec = c.pullOutput()!;
  const ch = parseClientHello(rec.subarray(9));
  // The x25519 share (the default offer is X25519MLKEM768 first, then x25519).
  const share = parseClientKeyShares(ch.extensions.get(Ext.key_share)!).find((s) => s.group === 0x001d)!;
  return { c, ch, share };
}

function serverHello(o: { random?: Uint8Array; sessionId: Uint8Array; suite: number; exts: Exts }): Uint8Array {
  const random = o.random ?? new Uint8Array(32).fill(5);
  return encodeRecord(22, 0x0303, encodeHandshake(2, encodeServerHello({ random, sessionId: o.sessionId, cipherSuite: o.suite, extensions: o.exts })));
}

/** What a refused server flight is expected to produce: the alert on the wire and the condition the error names. */
const refused = (alert: number, condition: PeerMisbehaved) => ({ alert, condition });

function alertOf(c: ReturnType<typeof client>['c'], record: Uint8Array): { alert: number; condition: PeerMisbehaved } | 'none' {
  try {
    c.receive(record);
  } catch (e) {
    expect(e).toBeInstanceOf(TlsHandshakeError);
    const out = c.pullOutput()!;
    const alert = (e as TlsHandshakeError).alert!;
    // Before any keys the alert goes out in plaintext.
    expect(Array.from(out.subarray(out.length - 7))).toEqual([21, 3, 3, 0, 2, 2, alert]);
    expect(e).toBeInstanceOf(PureTlsProtocolError);
    return { alert, condition: (e as PureTlsProtocolError).condition };
  }
  return 'none';
}

const v13 = u16(0x0304);
const x25519Share = (key: Uint8Array) => new Writer().u16(0x001d).vec16(key).finish();

describe('the client answers a misbehaving server with the RFC alert', () => {
  it('a suite it did not offer: illegal_parameter (47)', () => {
    const { c, ch } = client();
    expect(alertOf(c, serverHello({ sessionId: ch.sessionId, suite: 0x1304, exts: [[Ext.supported_versions, v13]] }))).toEqual(refused(47, 'CipherSuiteNotOffered'));
  });
  it('legacy_session_id_echo that differs: illegal_parameter (47)', () => {
    const { c, share } = client();
    expect(alertOf(c, serverHello({ sessionId: new Uint8Array(32), suite: 0x1301, exts: [[Ext.supported_versions, v13], [Ext.key_share, x25519Share(share.key)]] }))).toEqual(refused(47, 'SessionIdEchoMismatch'));
  });
  it('a key share for a group it did not send: illegal_parameter (47)', () => {
    const { c, ch } = client();
    const ks = new Writer().u16(0x0017).vec16(new Uint8Array(65).fill(4)).finish();
    expect(alertOf(c, serverHello({ sessionId: ch.sessionId, suite: 0x1301, exts: [[Ext.supported_versions, v13], [Ext.key_share, ks]] }))).toEqual(refused(47, 'GroupNotOffered'));
  });
  it('an extension not allowed in a ServerHello: unsupported_extension (110)', () => {
    const { c, ch, share } = client();
    expect(alertOf(c, serverHello({ sessionId: ch.sessionId, suite: 0x1301, exts: [[Ext.supported_versions, v13], [Ext.key_share, x25519Share(share.key)], [Ext.alpn, new Uint8Array(0)]] }))).toEqual(refused(110, 'UnsolicitedExtension'));
  });
  it('a TLS 1.3 ServerHello without key_share: missing_extension (109)', () => {
    const { c, ch } = client();
    expect(alertOf(c, serverHello({ sessionId: ch.sessionId, suite: 0x1301, exts: [[Ext.supported_versions, v13]] }))).toEqual(refused(109, 'MissingServerKeyShare'));
  });
  it('a version it did not offer: protocol_version (70)', () => {
    const { c, ch } = client();
    expect(alertOf(c, serverHello({ sessionId: ch.sessionId, suite: 0x1301, exts: [[Ext.supported_versions, u16(0x0302)]] }))).toEqual(refused(70, 'VersionNotOffered'));
  });
  it('HelloRetryRequest for the group it already sent: illegal_parameter (47)', () => {
    const { c, ch } = client();
    expect(alertOf(c, serverHello({ random: HRR_RANDOM, sessionId: ch.sessionId, suite: 0x1301, exts: [[Ext.supported_versions, v13], [Ext.key_share, u16(0x001d)]] }))).toEqual(refused(47, 'RetryRequestForUnusableGroup'));
  });
  it('HelloRetryRequest that would change nothing: illegal_parameter (47)', () => {
    const { c, ch } = client();
    expect(alertOf(c, serverHello({ random: HRR_RANDOM, sessionId: ch.sessionId, suite: 0x1301, exts: [[Ext.supported_versions, v13]] }))).toEqual(refused(47, 'RetryRequestWithoutChange'));
  });
  it('HelloRetryRequest for P-256 gets a second ClientHello with exactly that share', () => {
    const { c, ch } = client();
    expect(alertOf(c, serverHello({ random: HRR_RANDOM, sessionId: ch.sessionId, suite: 0x1301, exts: [[Ext.supported_versions, v13], [Ext.key_share, u16(0x0017)]] }))).toBe('none');
    const out = c.pullOutput()!;
    // Middlebox compatibility: a CCS, then the new ClientHello.
    expect(Array.from(out.subarray(0, 6))).toEqual([20, 3, 3, 0, 1, 1]);
    const ch2 = parseClientHello(out.subarray(6 + 9));
    const shares = parseClientKeyShares(ch2.extensions.get(Ext.key_share)!);
    expect(shares.map((s) => s.group)).toEqual([0x0017]);
    expect(Buffer.from(ch2.random).equals(Buffer.from(ch.random))).toBe(true);
  });
  it('a TLS 1.2 ServerHello carrying the TLS 1.3 downgrade sentinel: illegal_parameter (47)', () => {
    const { c, ch } = client();
    const random = new Uint8Array(32).fill(3);
    random.set(DOWNGRADE_TLS12, 24);
    expect(alertOf(c, serverHello({ random, sessionId: ch.sessionId, suite: 0xc02b, exts: [] }))).toEqual(refused(47, 'DowngradeSentinel'));
  });
  it('a TLS 1.2 ServerHello with an extension it did not offer: unsupported_extension (110)', () => {
    const { c } = client();
    expect(alertOf(c, serverHello({ sessionId: new Uint8Array(0), suite: 0xc02b, exts: [[Ext.key_share, new Uint8Array(0)]] }))).toEqual(refused(110, 'UnsolicitedExtension'));
  });
  it('a TLS 1.2 ServerHello with a non-empty renegotiation_info: handshake_failure (40)', () => {
    const { c } = client();
    expect(alertOf(c, serverHello({ sessionId: new Uint8Array(0), suite: 0xc02b, exts: [[Ext.renegotiation_info, Uint8Array.of(2, 1, 1)]] }))).toEqual(refused(40, 'NonEmptyRenegotiationInfo'));
  });
  it('a TLS 1.2 ServerHello resuming a session it never offered: illegal_parameter (47)', () => {
    const { c, ch } = client();
    expect(alertOf(c, serverHello({ sessionId: ch.sessionId, suite: 0xc02b, exts: [] }))).toEqual(refused(47, 'ResumedSessionNotOffered'));
  });
});
