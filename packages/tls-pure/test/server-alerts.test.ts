import { describe, expect, it } from 'vitest';
import { TlsHandshakeError, TlsSettings, Alpn } from '@proxy/core';
import { PureTlsProtocolError, compileServerConfig, newServerEngine, nodeCryptoProvider, type PeerMisbehaved } from '../src/index.js';
import { Writer } from '../src/bytes.js';
import { encodeClientHello } from '../src/messages/hello.js';
import { Ext, encodeAlpn, encodeClientKeyShares, encodeU16List } from '../src/messages/extensions.js';
import { encodeHandshake } from '../src/messages/handshake.js';
import { encodeRecord } from '../src/record/framing.js';
import { makePki } from './support/pki.js';

const pki = makePki();
const X25519_SHARE = new Uint8Array(32).fill(9);

type Exts = Array<[number, Uint8Array]>;
function versions(...v: number[]): Uint8Array {
  return new Writer().nested8((w) => v.forEach((x) => w.u16(x))).finish();
}
/** A well-formed TLS 1.3 ClientHello's extensions; cases change one thing. */
function base13(): Exts {
  return [
    [Ext.supported_versions, versions(0x0304, 0x0303)],
    [Ext.supported_groups, encodeU16List([0x001d, 0x0017])],
    [Ext.key_share, encodeClientKeyShares([{ group: 0x001d, key: X25519_SHARE }])],
    [Ext.signature_algorithms, encodeU16List([0x0403, 0x0804])],
  ];
}
function hello(exts: Exts, suites = [0x1301, 0xc02b], compression = Uint8Array.of(0)): Uint8Array {
  const body = encodeClientHello({ random: new Uint8Array(32).fill(1), sessionId: new Uint8Array(32).fill(2), cipherSuites: suites, extensions: exts });
  // encodeClientHello writes null compression; patch the compression vector when a case wants another.
  const raw = encodeHandshake(1, body);
  if (compression.length === 1 && compression[0] === 0) return encodeRecord(22, 0x0301, raw);
  const at = 4 + 2 + 32 + 1 + 32 + 2 + suites.length * 2;
  const patched = new Uint8Array([...raw.subarray(0, at), compression.length, ...compression, ...raw.subarray(at + 2)]);
  const len = patched.length - 4;
  patched[1] = len >> 16; patched[2] = (len >> 8) & 0xff; patched[3] = len & 0xff;
  return encodeRecord(22, 0x0301, patched);
}
function replace(exts: Exts, type: number, data: Uint8Array | undefined): Exts {
  const out = exts.filter(([t]) => t !== type);
  if (data) out.push([type, data]);
  return out;
}

/** What a refused hello is expected to produce: the alert on the wire and the condition the error names. */
const refused = (alert: number, condition: PeerMisbehaved) => ({ alert, condition });

function alertFor(record: Uint8Array, settings = TlsSettings.intermediate(pki.ecdsa.certPath, pki.ecdsa.keyPath)): { alert: number; condition: PeerMisbehaved } | 'none' {
  const s = newServerEngine(compileServerConfig(settings, nodeCryptoProvider));
  try {
    s.receive(record);
  } catch (e) {
    expect(e).toBeInstanceOf(TlsHandshakeError);
    const out = s.pullOutput()!;
    // The alert is the last record, in plaintext: 21 3 3 0 2 2 <desc>.
    expect(Array.from(out.subarray(out.length - 7, out.length - 1))).toEqual([21, 3, 3, 0, 2, 2]);
    expect(out[out.length - 1]).toBe((e as TlsHandshakeError).alert);
    expect(e).toBeInstanceOf(PureTlsProtocolError);
    return { alert: (e as PureTlsProtocolError).alert!, condition: (e as PureTlsProtocolError).condition };
  }
  return 'none';
}

describe('the server answers malformed and unusual ClientHellos with the RFC alert', () => {
  it('a well-formed TLS 1.3 ClientHello gets a ServerHello, no alert', () => {
    expect(alertFor(hello(base13()))).toBe('none');
  });
  it('no cipher suite in common: handshake_failure (40)', () => {
    expect(alertFor(hello(base13(), [0x0005, 0x002f]))).toEqual(refused(40, 'NoCommonCipherSuite'));
  });
  it('empty cipher_suites: decode_error (50)', () => {
    expect(alertFor(hello(base13(), []))).toEqual(refused(50, 'BadVectorLength'));
  });
  it('TLS 1.3 without key_share: missing_extension (109)', () => {
    expect(alertFor(hello(replace(base13(), Ext.key_share, undefined)))).toEqual(refused(109, 'MissingKeyShareOrGroups'));
  });
  it('TLS 1.3 without signature_algorithms: missing_extension (109)', () => {
    expect(alertFor(hello(replace(base13(), Ext.signature_algorithms, undefined)))).toEqual(refused(109, 'MissingSignatureAlgorithms'));
  });
  it('a duplicated extension: illegal_parameter (47)', () => {
    expect(alertFor(hello([...base13(), [Ext.supported_groups, encodeU16List([0x001d])]]))).toEqual(refused(47, 'DuplicateExtension'));
  });
  it('TLS 1.3 with a compression method: illegal_parameter (47)', () => {
    expect(alertFor(hello(base13(), [0x1301], Uint8Array.of(1, 0)))).toEqual(refused(47, 'CompressionInTls13'));
  });
  it('a key share for a group not in supported_groups: illegal_parameter (47)', () => {
    expect(alertFor(hello(replace(base13(), Ext.supported_groups, encodeU16List([0x0017]))))).toEqual(refused(47, 'KeyShareGroupNotInSupportedGroups'));
  });
  it('an all-zero x25519 share: illegal_parameter (47)', () => {
    expect(alertFor(hello(replace(base13(), Ext.key_share, encodeClientKeyShares([{ group: 0x001d, key: new Uint8Array(32) }]))))).toEqual(refused(47, 'InvalidKeyShare'));
  });
  it('a P-256 share of the wrong length: illegal_parameter (47)', () => {
    const exts = replace(replace(base13(), Ext.supported_groups, encodeU16List([0x0017])), Ext.key_share,
      encodeClientKeyShares([{ group: 0x0017, key: new Uint8Array(33).fill(4) }]));
    expect(alertFor(hello(exts))).toEqual(refused(47, 'InvalidKeyShare'));
  });
  it('pre_shared_key not last: illegal_parameter (47)', () => {
    const psk = new Writer().nested16((w) => w.vec16(new Uint8Array(16)).u32(0)).nested16((w) => w.vec8(new Uint8Array(32))).finish();
    expect(alertFor(hello([[Ext.pre_shared_key, psk], [Ext.psk_key_exchange_modes, Uint8Array.of(1, 1)], ...base13()]))).toEqual(refused(47, 'PskNotLastExtension'));
  });
  it('pre_shared_key without psk_key_exchange_modes: missing_extension (109)', () => {
    const psk = new Writer().nested16((w) => w.vec16(new Uint8Array(16)).u32(0)).nested16((w) => w.vec8(new Uint8Array(32))).finish();
    expect(alertFor(hello([...base13(), [Ext.pre_shared_key, psk]]))).toEqual(refused(109, 'PskWithoutKeyExchangeModes'));
  });
  it('supported_versions naming no version we speak: protocol_version (70)', () => {
    expect(alertFor(hello(replace(base13(), Ext.supported_versions, versions(0x7f1c, 0x0302))))).toEqual(refused(70, 'NoCommonVersion'));
  });
  it('a TLS 1.2 client to a TLS 1.3-only (modern) server: protocol_version (70)', () => {
    const modern = TlsSettings.modern(pki.ecdsa.certPath, pki.ecdsa.keyPath);
    expect(alertFor(hello(replace(base13(), Ext.supported_versions, undefined), [0xc02b]), modern)).toEqual(refused(70, 'NoCommonVersion'));
  });
  it('no ALPN protocol in common: no_application_protocol (120)', () => {
    const settings = TlsSettings.intermediate(pki.ecdsa.certPath, pki.ecdsa.keyPath).setAlpn(Alpn.H2);
    expect(alertFor(hello([...base13(), [Ext.alpn, encodeAlpn(['spdy/3'])]]), settings)).toEqual(refused(120, 'NoCommonAlpn'));
  });
  it('odd-length signature_algorithms: decode_error (50)', () => {
    expect(alertFor(hello(replace(base13(), Ext.signature_algorithms, Uint8Array.of(0, 3, 4, 3, 5))))).toEqual(refused(50, 'OddLengthList'));
  });
  it('TLS 1.2 without signature_algorithms (SHA-1 implied): handshake_failure (40)', () => {
    const exts: Exts = [[Ext.supported_groups, encodeU16List([0x001d])]];
    expect(alertFor(hello(exts, [0xc02b]))).toEqual(refused(40, 'NoCommonSignatureScheme'));
  });
  it('TLS 1.2 with TLS_FALLBACK_SCSV: inappropriate_fallback (86)', () => {
    const exts: Exts = [[Ext.supported_groups, encodeU16List([0x001d])], [Ext.signature_algorithms, encodeU16List([0x0403])]];
    expect(alertFor(hello(exts, [0xc02b, 0x5600]))).toEqual(refused(86, 'InappropriateFallback'));
  });
  it('TLS 1.2 with a non-empty renegotiation_info: handshake_failure (40)', () => {
    const exts: Exts = [[Ext.signature_algorithms, encodeU16List([0x0403])], [Ext.renegotiation_info, Uint8Array.of(1, 7)]];
    expect(alertFor(hello(exts, [0xc02b]))).toEqual(refused(40, 'NonEmptyRenegotiationInfo'));
  });
  it('TLS 1.2 with extended_master_secret carrying data: decode_error (50)', () => {
    const exts: Exts = [[Ext.signature_algorithms, encodeU16List([0x0403])], [Ext.extended_master_secret, Uint8Array.of(0)]];
    expect(alertFor(hello(exts, [0xc02b]))).toEqual(refused(50, 'ExtendedMasterSecretWithData'));
  });
  it('TLS 1.2 offering only RSA key exchange and CBC: handshake_failure (40)', () => {
    const exts: Exts = [[Ext.signature_algorithms, encodeU16List([0x0403])]];
    expect(alertFor(hello(exts, [0x002f, 0x0035, 0xc013]))).toEqual(refused(40, 'NoCommonCipherSuite'));
  });
  it('a server_name with a trailing dot: illegal_parameter (47)', () => {
    const sni = new Writer().nested16((w) => w.u8(0).vec16(new Uint8Array(Buffer.from('localhost.')))).finish();
    expect(alertFor(hello([...base13(), [Ext.server_name, sni]]))).toEqual(refused(47, 'InvalidServerName'));
  });
  it('the ClientHello split over many one-byte-payload records still works', () => {
    const rec = hello(base13());
    const msg = rec.subarray(5);
    const s = newServerEngine(compileServerConfig(TlsSettings.intermediate(pki.ecdsa.certPath, pki.ecdsa.keyPath), nodeCryptoProvider));
    for (const b of msg) s.receive(encodeRecord(22, 0x0301, Uint8Array.of(b)));
    expect(s.pullOutput()![0]).toBe(22);
  });
  it('a record of another type inside a fragmented ClientHello: unexpected_message (10)', () => {
    const msg = hello(base13()).subarray(5);
    const s = newServerEngine(compileServerConfig(TlsSettings.intermediate(pki.ecdsa.certPath, pki.ecdsa.keyPath), nodeCryptoProvider));
    s.receive(encodeRecord(22, 0x0301, msg.subarray(0, 10)));
    expect(() => s.receive(encodeRecord(21, 0x0301, Uint8Array.of(1, 0)))).toThrow(expect.objectContaining({ condition: 'RecordInsideHandshakeMessage' }));
    expect(Array.from(s.pullOutput()!)).toEqual([21, 3, 3, 0, 2, 2, 10]);
  });
});

describe('early data is declined by skipping it (RFC 8446 4.2.10)', () => {
  const settings = () => TlsSettings.intermediate(pki.ecdsa.certPath, pki.ecdsa.keyPath);
  const garbage = (n: number) => encodeRecord(23, 0x0303, new Uint8Array(n).fill(0xab));

  it('0-RTT records the server cannot decrypt are skipped, within a budget', () => {
    const s = newServerEngine(compileServerConfig(settings(), nodeCryptoProvider));
    s.receive(hello([...base13(), [Ext.early_data, new Uint8Array(0)]]));
    const flight = s.pullOutput()!;
    expect(flight[0]).toBe(22);
    // The ServerHello flight does not echo early_data in EncryptedExtensions (it is encrypted; the
    // observable part is that the server skips what it cannot decrypt).
    for (let i = 0; i < 3; i++) s.receive(garbage(1000));
    expect(() => {
      for (let i = 0; i < 100; i++) s.receive(garbage(16000));
    }).toThrow(TlsHandshakeError);
  });

  it('without early_data in the ClientHello the same record is bad_record_mac', () => {
    const s = newServerEngine(compileServerConfig(settings(), nodeCryptoProvider));
    s.receive(hello(base13()));
    s.pullOutput();
    let err: TlsHandshakeError | undefined;
    try {
      s.receive(garbage(1000));
    } catch (e) {
      err = e as TlsHandshakeError;
    }
    expect(err?.alert).toBe(20);
    expect((err as PureTlsProtocolError).condition).toBe('BadRecordMac');
  });

  it('after a HelloRetryRequest, plaintext application_data is skipped until the second ClientHello', () => {
    const exts = replace(replace(base13(), Ext.supported_groups, encodeU16List([0x001d, 0x0017])), Ext.key_share, encodeClientKeyShares([]));
    const s = newServerEngine(compileServerConfig(settings(), nodeCryptoProvider));
    s.receive(hello([...exts, [Ext.early_data, new Uint8Array(0)]]));
    const hrr = s.pullOutput()!;
    expect(hrr[0]).toBe(22);
    expect(() => s.receive(garbage(500))).not.toThrow();
  });
});

describe('error classes', () => {
  it('a peer protocol violation is a TlsProtocolError with code TLS_PROTOCOL and the peer as source', async () => {
    const { TlsProtocolError } = await import('@proxy/core');
    const s = newServerEngine(compileServerConfig(TlsSettings.intermediate(pki.ecdsa.certPath, pki.ecdsa.keyPath), nodeCryptoProvider));
    let err: unknown;
    try {
      s.receive(hello(base13(), []));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TlsProtocolError);
    expect((err as InstanceType<typeof TlsProtocolError>).code).toBe('TLS_PROTOCOL');
    expect(err).toBeInstanceOf(PureTlsProtocolError);
    expect((err as PureTlsProtocolError).condition).toBe('BadVectorLength');
    expect((err as InstanceType<typeof TlsProtocolError>).source).toBe('downstream');
    // Once failed, the engine stays failed with the same error.
    expect(() => s.receive(new Uint8Array(1))).toThrow(err as Error);
  });
});
