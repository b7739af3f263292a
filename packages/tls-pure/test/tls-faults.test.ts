// Regression tests for the tls-pure faults that independent TLS test tools found (issue 11):
// each case failed before its fix.
import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TlsAlertReceivedError, TlsHandshakeError, TlsSettings } from '@proxy/core';
import { makePki } from './support/pki.js';
import {
  PureTlsProtocolError, compileServerConfig, newServerEngine, nodeCryptoProvider, pureCryptoProvider, type CryptoProvider, type PeerMisbehaved,
} from '../src/index.js';
import { Reader, Writer } from '../src/bytes.js';
import { parseServerKeyExchange } from '../src/tls12/common.js';
import { Ext, encodeClientKeyShares, encodeU16List } from '../src/messages/extensions.js';
import { MAX_CLIENT_HELLO_BODY, encodeHandshake } from '../src/messages/handshake.js';
import { parseServerHello } from '../src/messages/hello.js';
import { MAX_PLAINTEXT, encodeRecord } from '../src/record/framing.js';

const pki = makePki();
type Exts = Array<[number, Uint8Array]>;

const versions = (...v: number[]): Uint8Array => new Writer().nested8((w) => v.forEach((x) => w.u16(x))).finish();
const TLS13_EXTS = (): Exts => [
  [Ext.supported_versions, versions(0x0304, 0x0303)],
  [Ext.supported_groups, encodeU16List([0x001d])],
  [Ext.key_share, encodeClientKeyShares([{ group: 0x001d, key: new Uint8Array(32).fill(9) }])],
  [Ext.signature_algorithms, encodeU16List([0x0403, 0x0804])],
];
const TLS12_EXTS = (sigAlgs = [0x0403]): Exts => [
  [Ext.supported_groups, encodeU16List([0x001d])],
  [Ext.signature_algorithms, encodeU16List(sigAlgs)],
];

interface HelloParts {
  legacyVersion?: number;
  suites?: number[];
  compression?: number[];
  exts: Exts;
}

/** A ClientHello handshake message with every field under the test's control. */
function clientHello(p: HelloParts): Uint8Array {
  const w = new Writer().u16(p.legacyVersion ?? 0x0303).bytes(new Uint8Array(32).fill(1)).vec8(new Uint8Array(32).fill(2));
  w.nested16((s) => (p.suites ?? [0x1301, 0xc02b]).forEach((c) => s.u16(c)));
  w.vec8(Uint8Array.from(p.compression ?? [0]));
  w.nested16((x) => {
    for (const [t, d] of p.exts) x.u16(t).vec16(d);
  });
  return encodeHandshake(1, w.finish());
}

/** A handshake message cut into records of at most 2^14 bytes (RFC 8446 5.1). */
function records(msg: Uint8Array, type = 22): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let o = 0; o < msg.length; o += MAX_PLAINTEXT) parts.push(encodeRecord(type, 0x0301, msg.subarray(o, o + MAX_PLAINTEXT)));
  return Buffer.concat(parts);
}

function server(provider: CryptoProvider = nodeCryptoProvider, settings = TlsSettings.intermediate(pki.ecdsa.certPath, pki.ecdsa.keyPath)) {
  return newServerEngine(compileServerConfig(settings, provider));
}

/** What the server answers a first flight with: its handshake messages, or the alert and error. */
function answer(input: Uint8Array, provider?: CryptoProvider): {
  messages: Array<{ type: number; body: Uint8Array }>; alert?: number; condition?: PeerMisbehaved; error?: unknown;
} {
  const s = server(provider);
  try {
    s.receive(input);
  } catch (error) {
    const out = s.pullOutput();
    const condition = error instanceof PureTlsProtocolError ? error.condition : undefined;
    return { messages: [], alert: out ? out[out.length - 1] : undefined, condition, error };
  }
  // TLS 1.2 flights are plaintext handshake records; for TLS 1.3 only the ServerHello is.
  const out = s.pullOutput()!;
  const hs: Uint8Array[] = [];
  const r = new Reader(out);
  while (r.remaining > 0) {
    const type = r.u8();
    r.u16();
    const frag = r.vec16();
    if (type === 22) hs.push(frag);
  }
  const all = new Reader(Buffer.concat(hs));
  const messages: Array<{ type: number; body: Uint8Array }> = [];
  try {
    while (all.remaining > 0) messages.push({ type: all.u8(), body: all.vec24() });
  } catch {
    // TLS 1.3: the encrypted rest is not handshake-typed outside.
  }
  return { messages };
}

describe('ClientHello legacy_version with supported_versions (RFC 8446 4.1.2, D.2)', () => {
  for (const legacy of [0x0000, 0x0300, 0x0301, 0x0302]) {
    it(`legacy_version 0x${legacy.toString(16).padStart(4, '0')} offering TLS 1.3 is refused with protocol_version (70)`, () => {
      const r = answer(records(clientHello({ legacyVersion: legacy, exts: TLS13_EXTS() })));
      expect(r.error).toBeInstanceOf(TlsHandshakeError);
      expect(r.alert).toBe(70);
      expect(r.condition).toBe('LegacyVersionBelowTls12');
    });
  }
  it('legacy_version 0x0303 offering TLS 1.3 still gets a ServerHello', () => {
    const r = answer(records(clientHello({ exts: TLS13_EXTS() })));
    expect(r.error).toBeUndefined();
    expect(r.messages[0]?.type).toBe(2);
  });
});

describe('alert records', () => {
  it('a zero-length alert record is unexpected_message (10), not decode_error', () => {
    const s = server();
    expect(() => s.receive(encodeRecord(21, 0x0303, new Uint8Array(0)))).toThrow(expect.objectContaining({ condition: 'EmptyAlertRecord' }));
    expect(Array.from(s.pullOutput()!)).toEqual([21, 3, 3, 0, 2, 2, 10]);
  });
  it('a three-byte alert is still decode_error (50)', () => {
    const s = server();
    expect(() => s.receive(encodeRecord(21, 0x0303, Uint8Array.of(2, 40, 0)))).toThrow(expect.objectContaining({ condition: 'MalformedAlert' }));
    expect(Array.from(s.pullOutput()!)).toEqual([21, 3, 3, 0, 2, 2, 50]);
  });

  it("a plaintext alert after the server's Finished (TLS 1.3) closes silently: the peer's alert is reported, none is sent", () => {
    const s = server();
    s.receive(records(clientHello({ exts: TLS13_EXTS() })));
    expect(s.pullOutput()![0]).toBe(22);
    let err: unknown;
    try {
      s.receive(encodeRecord(21, 0x0303, Uint8Array.of(2, 40)));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TlsAlertReceivedError);
    expect((err as TlsAlertReceivedError).alert).toBe(40);
    expect(s.pullOutput()).toBeNull();
  });

  it("a malformed plaintext alert after the server's Finished also ends the connection without an answer", () => {
    const s = server();
    s.receive(records(clientHello({ exts: TLS13_EXTS() })));
    s.pullOutput();
    expect(() => s.receive(encodeRecord(21, 0x0303, Uint8Array.of(2)))).toThrow(expect.objectContaining({ condition: 'MalformedPlaintextAlert', alert: undefined }));
    expect(s.pullOutput()).toBeNull();
  });
});

describe('renegotiation_info in the TLS 1.2 ServerHello (RFC 5746 3.6)', () => {
  const serverHelloExts = (input: Uint8Array) => {
    const r = answer(input);
    expect(r.error).toBeUndefined();
    expect(r.messages[0]?.type).toBe(2);
    return parseServerHello(r.messages[0]!.body).extensions;
  };
  it('absent when the client sent neither the SCSV nor the extension', () => {
    expect(serverHelloExts(records(clientHello({ suites: [0xc02b], exts: TLS12_EXTS() }))).has(Ext.renegotiation_info)).toBe(false);
  });
  it('present (empty) when the client sent TLS_EMPTY_RENEGOTIATION_INFO_SCSV', () => {
    const exts = serverHelloExts(records(clientHello({ suites: [0xc02b, 0x00ff], exts: TLS12_EXTS() })));
    expect(Array.from(exts.get(Ext.renegotiation_info) ?? [])).toEqual([0]);
  });
  it('present (empty) when the client sent an empty renegotiation_info', () => {
    const exts = serverHelloExts(records(clientHello({ suites: [0xc02b], exts: [...TLS12_EXTS(), [Ext.renegotiation_info, Uint8Array.of(0)]] })));
    expect(Array.from(exts.get(Ext.renegotiation_info) ?? [])).toEqual([0]);
  });
});

describe('the largest legal ClientHello is accepted', () => {
  /** Extensions padded (RFC 7685) so that their block is exactly `total` bytes long. */
  const padTo = (exts: Exts, total: number): Exts => {
    const used = exts.reduce((n, [, d]) => n + 4 + d.length, 0);
    return [...exts, [Ext.padding, new Uint8Array(total - used - 4)]];
  };
  const maxSuites = (): number[] => {
    // 32,767 cipher suites: the real ones first, then unassigned values.
    const list = [0x1301, 0xc02b];
    for (let v = 0x0a0a; list.length < 32767; v++) if (v !== 0x00ff && v !== 0x5600 && v !== 0x1301 && v !== 0xc02b) list.push(v);
    return list;
  };

  it(`TLS 1.2: ${MAX_CLIENT_HELLO_BODY}-byte body (every vector full) gets a ServerHello`, () => {
    expect(MAX_CLIENT_HELLO_BODY).toBe(131_396);
    const compression = [0, ...Array.from({ length: 254 }, (_, i) => i + 1)];
    const msg = clientHello({ suites: maxSuites(), compression, exts: padTo(TLS12_EXTS(), 65535) });
    expect(msg.length - 4).toBe(131_396);
    const r = answer(records(msg));
    expect(r.error).toBeUndefined();
    expect(r.messages[0]?.type).toBe(2);
  });

  it('TLS 1.3: the largest with one compression method (131,142 bytes) gets a ServerHello', () => {
    const msg = clientHello({ suites: maxSuites(), exts: padTo(TLS13_EXTS(), 65535) });
    expect(msg.length - 4).toBe(131_142);
    const r = answer(records(msg));
    expect(r.error).toBeUndefined();
    expect(r.messages[0]?.type).toBe(2);
  });

  it('one byte more than any legal ClientHello is refused (decode_error)', () => {
    // A declared length past the maximum: refused before the body is buffered.
    const header = Uint8Array.of(1, (MAX_CLIENT_HELLO_BODY + 1) >> 16, ((MAX_CLIENT_HELLO_BODY + 1) >> 8) & 0xff, (MAX_CLIENT_HELLO_BODY + 1) & 0xff);
    const r = answer(encodeRecord(22, 0x0301, header));
    expect(r.alert).toBe(50);
    expect(r.condition).toBe('HandshakeMessageTooLong');
  });
});

describe('TLS 1.2 with a P-256 key signs with whatever ECDSA hash the client offers (RFC 5246 7.4.1.4.1)', () => {
  const leaf = new X509Certificate(pki.ecdsa.certPem);
  for (const [provider, name] of [[pureCryptoProvider, 'pure'], [nodeCryptoProvider, 'node']] as const) {
    for (const [scheme, hash] of [[0x0303, 'SHA-224'], [0x0503, 'SHA-384'], [0x0603, 'SHA-512']] as const) {
      it(`${name} provider: a client offering only ECDSA with ${hash} (0x${scheme.toString(16).padStart(4, '0')}) gets a ServerKeyExchange signed so`, () => {
        const r = answer(records(clientHello({ suites: [0xc02b], exts: TLS12_EXTS([scheme]) })), provider);
        expect(r.error).toBeUndefined();
        const sh = parseServerHello(r.messages.find((m) => m.type === 2)!.body);
        const ske = parseServerKeyExchange(r.messages.find((m) => m.type === 12)!.body);
        expect(ske.scheme).toBe(scheme);
        const signed = new Writer().bytes(new Uint8Array(32).fill(1)).bytes(sh.random).bytes(ske.params).finish();
        // Checked by the other provider than the one that signed.
        const checker = provider === pureCryptoProvider ? nodeCryptoProvider : pureCryptoProvider;
        expect(checker.verify(leaf.publicKey, scheme, signed, ske.signature)).toBe(true);
        expect(checker.verify(leaf.publicKey, scheme, signed.map((b, i) => (i === 40 ? b ^ 1 : b)), ske.signature)).toBe(false);
      });
    }
  }
  it('TLS 1.3 still binds the curve: a client offering only ecdsa_secp384r1_sha384 gets handshake_failure (40) from a P-256 key', () => {
    const exts = TLS13_EXTS().filter(([t]) => t !== Ext.signature_algorithms);
    const r = answer(records(clientHello({ exts: [...exts, [Ext.signature_algorithms, encodeU16List([0x0503])]] })));
    expect(r.alert).toBe(40);
    expect(r.condition).toBe('NoCommonSignatureScheme');
  });
});
