// The hybrid post-quantum group X25519MLKEM768 (0x11EC, draft-ietf-tls-ecdhe-mlkem): the KEM's
// wire layout checked against independent implementations (@noble's ML-KEM and X25519), the
// draft's size and FIPS 203 modulus checks on crafted hellos, the server's preference (a
// HelloRetryRequest for the hybrid), the client's two default shares, and engine-to-engine
// handshakes on both crypto providers.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { x25519 } from '@noble/curves/ed25519.js';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { TlsConfigError, TlsFeatureUnsupportedError, TlsHandshakeError, TlsSettings, type TlsClientOptions } from '@proxy/core';
import {
  PureTlsProtocolError, SessionCache, compileClientConfig, compileServerConfig, createPureConnector, newClientEngine, newServerEngine,
  nodeCryptoProvider, pureCryptoProvider, pureCryptoProviderWith, type CryptoProvider, type PeerMisbehaved, type PureTlsEngine,
} from '../src/index.js';
import { Writer } from '../src/bytes.js';
import {
  HybridShareError, hybridClientKey, hybridEncapsulate, mlkemEncapsulationKeyModulusOk,
} from '../src/crypto/x25519mlkem768.js';
import { Ext, encodeClientKeyShares, encodeU16List, parseClientKeyShares, u16, u16List } from '../src/messages/extensions.js';
import { encodeHandshake } from '../src/messages/handshake.js';
import { HRR_RANDOM, encodeClientHello, encodeServerHello, parseClientHello, parseServerHello, type ServerHello } from '../src/messages/hello.js';
import { encodeRecord } from '../src/record/framing.js';
import { makePki } from './support/pki.js';
import { clientOptions } from './support/options.js';
import { pump, readAll } from './support/pump.js';

const pki = makePki();
const HYBRID = 0x11ec;
const X25519 = 0x001d;
const P256 = 0x0017;
const target = { sni: 'localhost', addr: '127.0.0.1:443' };
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const concat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));

/** Deterministic bytes (SHA-256 in counter mode), remembering every draw in order. */
function recordingProvider(seed: string): { provider: CryptoProvider; draws: Uint8Array[] } {
  const draws: Uint8Array[] = [];
  let counter = 0;
  const provider = pureCryptoProviderWith((n) => {
    let out = Buffer.alloc(0);
    while (out.length < n) out = Buffer.concat([out, createHash('sha256').update(`${seed}/${counter++}`).digest()]);
    const b = new Uint8Array(out.subarray(0, n));
    draws.push(b);
    return b;
  }, `recording(${seed})`);
  return { provider, draws };
}

function faultOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(HybridShareError);
    return (e as HybridShareError).fault;
  }
  return undefined;
}

describe('X25519MLKEM768: the KEM (draft-ietf-tls-ecdhe-mlkem 3)', () => {
  it('client share = ML-KEM-768 encapsulation key || X25519 key (1216); server share = ciphertext || X25519 key (1120); secret = ML-KEM || X25519 (64)', () => {
    const c = recordingProvider('client');
    const client = hybridClientKey(c.provider);
    const [kemSeed, clientX] = c.draws as [Uint8Array, Uint8Array];
    expect(kemSeed.length).toBe(64);
    const kem = ml_kem768.keygen(kemSeed);
    expect(client.publicKey.length).toBe(1216);
    // ML-KEM first (the draft's section 3 note: reversed for X25519MLKEM768), checked against
    // @noble's ML-KEM and @noble's X25519, independent of our float64 X25519.
    expect(hex(client.publicKey.subarray(0, 1184))).toBe(hex(kem.publicKey));
    expect(hex(client.publicKey.subarray(1184))).toBe(hex(x25519.getPublicKey(clientX)));

    const s = recordingProvider('server');
    const server = hybridEncapsulate(s.provider, client.publicKey);
    const [serverX, m] = s.draws as [Uint8Array, Uint8Array];
    const enc = ml_kem768.encapsulate(kem.publicKey, m);
    expect(server.publicKey.length).toBe(1120);
    expect(hex(server.publicKey.subarray(0, 1088))).toBe(hex(enc.cipherText));
    expect(hex(server.publicKey.subarray(1088))).toBe(hex(x25519.getPublicKey(serverX)));
    const expected = concat(enc.sharedSecret, x25519.getSharedSecret(serverX, x25519.getPublicKey(clientX)));
    expect(hex(server.sharedSecret)).toBe(hex(expected));
    expect(hex(client.decapsulate(server.publicKey))).toBe(hex(expected));
  });

  for (const provider of [pureCryptoProvider, nodeCryptoProvider]) {
    it(`${provider.name} provider: both sides derive the same 64-byte secret, fresh per key`, () => {
      const client = hybridClientKey(provider);
      const server = hybridEncapsulate(provider, client.publicKey);
      expect(server.sharedSecret.length).toBe(64);
      expect(hex(client.decapsulate(server.publicKey))).toBe(hex(server.sharedSecret));
      expect(hex(hybridClientKey(provider).publicKey)).not.toBe(hex(client.publicKey));
    });
  }

  it('FIPS 203 7.2 modulus check: a coefficient of q (3329) or above fails, as @noble\'s own check agrees', () => {
    const ek = hybridClientKey(nodeCryptoProvider).publicKey.slice(0, 1184);
    expect(mlkemEncapsulationKeyModulusOk(ek)).toBe(true);
    for (const [i, patch] of [[0, [0x01, 0x0d]], [3, [0xff, 0xff, 0xff]], [1149, [0x00, 0x10, 0xd0]]] as const) {
      const bad = ek.slice();
      bad.set(patch, i);
      expect(mlkemEncapsulationKeyModulusOk(bad), `patch at ${i}`).toBe(false);
      expect(() => ml_kem768.encapsulate(bad)).toThrow();
    }
    // 3328 = q - 1 is the largest valid coefficient: 0x0d00 in the first slot.
    const edge = ek.slice();
    edge[0] = 0x00;
    edge[1] = (edge[1]! & 0xf0) | 0x0d;
    expect(mlkemEncapsulationKeyModulusOk(edge)).toBe(true);
  });

  it('refuses shares of the wrong size, a bad ML-KEM key, and an all-zero X25519 half', () => {
    const share = hybridClientKey(nodeCryptoProvider).publicKey;
    expect(faultOf(() => hybridEncapsulate(nodeCryptoProvider, share.subarray(0, 1215)))).toBe('length');
    expect(faultOf(() => hybridEncapsulate(nodeCryptoProvider, concat(share, Uint8Array.of(0))))).toBe('length');
    expect(faultOf(() => hybridEncapsulate(nodeCryptoProvider, share.subarray(0, 32)))).toBe('length');
    const badKey = share.slice();
    badKey.fill(0xff, 0, 3);
    expect(faultOf(() => hybridEncapsulate(nodeCryptoProvider, badKey))).toBe('modulus');
    const zeroX = share.slice();
    zeroX.fill(0, 1184);
    expect(faultOf(() => hybridEncapsulate(nodeCryptoProvider, zeroX))).toBe('x25519');
    const client = hybridClientKey(pureCryptoProvider);
    const answer = hybridEncapsulate(pureCryptoProvider, client.publicKey).publicKey;
    expect(faultOf(() => client.decapsulate(answer.subarray(0, 1119)))).toBe('length');
    expect(faultOf(() => client.decapsulate(concat(answer, Uint8Array.of(0))))).toBe('length');
    expect(faultOf(() => client.decapsulate(concat(answer.subarray(0, 1088), new Uint8Array(32))))).toBe('x25519');
  });
});

// ---- the server, fed crafted ClientHellos ----

type Exts = Array<[number, Uint8Array]>;
const versions13 = new Writer().nested8((w) => w.u16(0x0304).u16(0x0303)).finish();

function clientHello(groups: number[], shares: Array<{ group: number; key: Uint8Array }>): Uint8Array {
  const exts: Exts = [
    [Ext.supported_versions, versions13],
    [Ext.supported_groups, encodeU16List(groups)],
    [Ext.key_share, encodeClientKeyShares(shares)],
    [Ext.signature_algorithms, encodeU16List([0x0403, 0x0804])],
  ];
  const body = encodeClientHello({ random: new Uint8Array(32).fill(1), sessionId: new Uint8Array(32).fill(2), cipherSuites: [0x1301], extensions: exts });
  return encodeRecord(22, 0x0301, encodeHandshake(1, body));
}

/** The first handshake message of a flight (a ServerHello or HelloRetryRequest), parsed. */
function firstServerHello(out: Uint8Array): ServerHello {
  expect(out[0]).toBe(22);
  const len = (out[3]! << 8) | out[4]!;
  expect(out[5]).toBe(2);
  return parseServerHello(out.subarray(9, 5 + len));
}

function serverKeyShare(sh: ServerHello): { group: number; key: Uint8Array } {
  const w = sh.extensions.get(Ext.key_share)!;
  return { group: (w[0]! << 8) | w[1]!, key: w.subarray(4) };
}

const isRetry = (sh: ServerHello) => hex(sh.random) === hex(HRR_RANDOM);

function serverAnswer(record: Uint8Array, settings = TlsSettings.intermediate(pki.ecdsa.certPath, pki.ecdsa.keyPath)) {
  const s = newServerEngine(compileServerConfig(settings, nodeCryptoProvider));
  try {
    s.receive(record);
  } catch (e) {
    expect(e).toBeInstanceOf(TlsHandshakeError);
    const out = s.pullOutput()!;
    // The alert in plaintext, last: 21 3 3 0 2 2 <desc>.
    expect(Array.from(out.subarray(out.length - 7, out.length - 1))).toEqual([21, 3, 3, 0, 2, 2]);
    expect(out[out.length - 1]).toBe((e as TlsHandshakeError).alert);
    expect(e).toBeInstanceOf(PureTlsProtocolError);
    return { alert: (e as PureTlsProtocolError).alert!, condition: (e as PureTlsProtocolError).condition };
  }
  return firstServerHello(s.pullOutput()!);
}

const refused = (alert: number, condition: PeerMisbehaved) => ({ alert, condition });

describe('X25519MLKEM768 server: crafted ClientHellos', () => {
  const good = () => hybridClientKey(nodeCryptoProvider).publicKey;

  it('a valid hybrid share gets a ServerHello for 0x11EC with a 1120-byte share', () => {
    const sh = serverAnswer(clientHello([HYBRID, X25519], [{ group: HYBRID, key: good() }])) as ServerHello;
    expect(isRetry(sh)).toBe(false);
    const ks = serverKeyShare(sh);
    expect(ks.group).toBe(HYBRID);
    expect(ks.key.length).toBe(1120);
  });
  it('offered both shares (as Chrome and OpenSSL 3.5 do), the server takes the hybrid', () => {
    const sh = serverAnswer(clientHello([HYBRID, X25519], [{ group: HYBRID, key: good() }, { group: X25519, key: new Uint8Array(32).fill(9) }])) as ServerHello;
    expect(serverKeyShare(sh).group).toBe(HYBRID);
  });
  // (An empty key_exchange is a decode_error already: RFC 8446 4.2.8 has it <1..2^16-1>.)
  for (const len of [1215, 1217, 1184, 32, 1]) {
    it(`a hybrid client share of ${len} bytes: illegal_parameter (47), MalformedHybridKeyShare`, () => {
      const key = len <= 1216 ? good().subarray(0, len) : concat(good(), new Uint8Array(len - 1216));
      expect(serverAnswer(clientHello([HYBRID, X25519], [{ group: HYBRID, key }]))).toEqual(refused(47, 'MalformedHybridKeyShare'));
    });
  }
  it('an ML-KEM encapsulation key failing the FIPS 203 modulus check: illegal_parameter (47), MalformedHybridKeyShare', () => {
    const key = good();
    key.set([0xff, 0xff, 0xff], 600);
    expect(serverAnswer(clientHello([HYBRID], [{ group: HYBRID, key }]))).toEqual(refused(47, 'MalformedHybridKeyShare'));
  });
  it('an all-zero X25519 half: illegal_parameter (47), InvalidKeyShare', () => {
    const key = good();
    key.fill(0, 1184);
    expect(serverAnswer(clientHello([HYBRID], [{ group: HYBRID, key }]))).toEqual(refused(47, 'InvalidKeyShare'));
  });
  it('a client listing the hybrid but sending only an X25519 share gets a HelloRetryRequest for the hybrid (server preference)', () => {
    const sh = serverAnswer(clientHello([X25519, HYBRID], [{ group: X25519, key: new Uint8Array(32).fill(9) }])) as ServerHello;
    expect(isRetry(sh)).toBe(true);
    expect(Array.from(sh.extensions.get(Ext.key_share)!)).toEqual([0x11, 0xec]);
  });
  it('a classical-only client gets x25519 at once; a classical server list (setGroups) ignores the hybrid', () => {
    const classical = serverAnswer(clientHello([X25519, P256], [{ group: X25519, key: new Uint8Array(32).fill(9) }])) as ServerHello;
    expect(isRetry(classical)).toBe(false);
    expect(serverKeyShare(classical).group).toBe(X25519);
    const off = TlsSettings.intermediate(pki.ecdsa.certPath, pki.ecdsa.keyPath).setGroups(['x25519', 'secp256r1']);
    const sh = serverAnswer(clientHello([HYBRID, X25519], [{ group: HYBRID, key: good() }, { group: X25519, key: new Uint8Array(32).fill(9) }]), off) as ServerHello;
    expect(isRetry(sh)).toBe(false);
    expect(serverKeyShare(sh).group).toBe(X25519);
  });
  it('a listener whose list puts x25519 first takes an X25519 share without a retry', () => {
    const settings = TlsSettings.intermediate(pki.ecdsa.certPath, pki.ecdsa.keyPath).setGroups(['x25519', 'X25519MLKEM768']);
    const sh = serverAnswer(clientHello([HYBRID, X25519], [{ group: X25519, key: new Uint8Array(32).fill(9) }]), settings) as ServerHello;
    expect(isRetry(sh)).toBe(false);
    expect(serverKeyShare(sh).group).toBe(X25519);
  });
});

// ---- the client, fed crafted ServerHellos ----

function startedClient(over: Partial<TlsClientOptions> = {}) {
  const c = newClientEngine(compileClientConfig(clientOptions(pki, over), target, undefined, nodeCryptoProvider));
  c.start();
  const ch = parseClientHello(c.pullOutput()!.subarray(9));
  const shares = ch.extensions.has(Ext.key_share) ? parseClientKeyShares(ch.extensions.get(Ext.key_share)!) : [];
  const groups = u16List(ch.extensions.get(Ext.supported_groups)!, 'supported_groups');
  return { c, ch, shares, groups };
}

function serverHello(sessionId: Uint8Array, exts: Exts, random = new Uint8Array(32).fill(5)): Uint8Array {
  return encodeRecord(22, 0x0303, encodeHandshake(2, encodeServerHello({ random, sessionId, cipherSuite: 0x1301, extensions: exts })));
}

function clientAlert(c: PureTlsEngine, record: Uint8Array) {
  try {
    c.receive(record);
  } catch (e) {
    expect(e).toBeInstanceOf(PureTlsProtocolError);
    const out = c.pullOutput()!;
    const alert = (e as PureTlsProtocolError).alert!;
    expect(Array.from(out.subarray(out.length - 7))).toEqual([21, 3, 3, 0, 2, 2, alert]);
    return refused(alert, (e as PureTlsProtocolError).condition);
  }
  return 'none';
}

describe('X25519MLKEM768 client: what it offers, crafted ServerHellos', () => {
  it('by default: supported_groups X25519MLKEM768, x25519, P-256, P-384, and two shares, the hybrid (1216 bytes) then x25519', () => {
    const { groups, shares } = startedClient();
    expect(groups).toEqual([HYBRID, X25519, P256, 0x0018]);
    expect(shares.map((s) => [s.group, s.key.length])).toEqual([[HYBRID, 1216], [X25519, 32]]);
  });
  it('TlsClientOptions.groups without the hybrid: classical only; with x25519 first: one x25519 share', () => {
    const classical = startedClient({ groups: ['x25519', 'secp256r1'] });
    expect(classical.groups).toEqual([X25519, P256]);
    expect(classical.shares.map((s) => s.group)).toEqual([X25519]);
    const x25519First = startedClient({ groups: ['x25519', 'X25519MLKEM768'] });
    expect(x25519First.groups).toEqual([X25519, HYBRID]);
    expect(x25519First.shares.map((s) => s.group)).toEqual([X25519]);
  });
  it('a TLS 1.2-only ClientHello lists no hybrid and carries no key share', () => {
    const { groups, shares } = startedClient({ maxVersion: 'TLSv1.2' });
    expect(groups).toEqual([X25519, P256, 0x0018]);
    expect(shares).toEqual([]);
  });
  it('a group this backend lacks is refused when the connector is built: TlsFeatureUnsupportedError', () => {
    expect(() => createPureConnector(clientOptions(pki, { groups: ['x448'] }))).toThrow(TlsFeatureUnsupportedError);
  });
  it('TLS 1.2-only with the hybrid alone cannot agree a key: TlsConfigError (TLS_CONFIG), connector and listener', () => {
    const err = (() => {
      try {
        createPureConnector(clientOptions(pki, { groups: ['X25519MLKEM768'], maxVersion: 'TLSv1.2' }));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(TlsConfigError);
    expect((err as TlsConfigError).code).toBe('TLS_CONFIG');
    const settings = TlsSettings.intermediate(pki.ecdsa.certPath, pki.ecdsa.keyPath).setVersions('TLSv1.2', 'TLSv1.2').setGroups(['X25519MLKEM768']);
    expect(() => compileServerConfig(settings, nodeCryptoProvider)).toThrow(TlsConfigError);
  });
  for (const len of [1119, 1121, 1088, 32]) {
    it(`a hybrid server share of ${len} bytes: illegal_parameter (47), MalformedHybridKeyShare`, () => {
      const { c, ch } = startedClient();
      const ks = new Writer().u16(HYBRID).vec16(new Uint8Array(len).fill(3)).finish();
      expect(clientAlert(c, serverHello(ch.sessionId, [[Ext.supported_versions, u16(0x0304)], [Ext.key_share, ks]]))).toEqual(refused(47, 'MalformedHybridKeyShare'));
    });
  }
  it('a HelloRetryRequest for the hybrid it already sent: illegal_parameter (47)', () => {
    const { c, ch } = startedClient();
    const hrr = serverHello(ch.sessionId, [[Ext.supported_versions, u16(0x0304)], [Ext.key_share, u16(HYBRID)]], HRR_RANDOM);
    expect(clientAlert(c, hrr)).toEqual(refused(47, 'RetryRequestForUnusableGroup'));
  });
  it('a HelloRetryRequest for the hybrid after an x25519-only offer: the retried ClientHello carries exactly one 1216-byte hybrid share', () => {
    const { c, ch } = startedClient({ groups: ['x25519', 'X25519MLKEM768'] });
    const hrr = serverHello(ch.sessionId, [[Ext.supported_versions, u16(0x0304)], [Ext.key_share, u16(HYBRID)]], HRR_RANDOM);
    expect(clientAlert(c, hrr)).toBe('none');
    const out = c.pullOutput()!;
    expect(Array.from(out.subarray(0, 6))).toEqual([20, 3, 3, 0, 1, 1]); // middlebox-compatibility CCS
    const ch2 = parseClientHello(out.subarray(6 + 9));
    const shares = parseClientKeyShares(ch2.extensions.get(Ext.key_share)!);
    expect(shares.map((s) => [s.group, s.key.length])).toEqual([[HYBRID, 1216]]);
  });
});

// ---- engine to engine ----

function connect(server: TlsSettings, over: Partial<TlsClientOptions>, provider: CryptoProvider, cache?: SessionCache) {
  const s = newServerEngine(compileServerConfig(server, provider), '127.0.0.1:1');
  const c = newClientEngine(compileClientConfig(clientOptions(pki, over), target, cache, provider));
  c.start();
  s.start();
  // The server's first flight, to tell a HelloRetryRequest from a ServerHello.
  s.receive(c.pullOutput()!);
  const first = s.pullOutput()!;
  const retried = isRetry(firstServerHello(first));
  c.receive(first);
  const errors = pump(c, s);
  return { s, c, errors, retried };
}

const defaults = () => TlsSettings.intermediate(pki.ecdsa.certPath, pki.ecdsa.keyPath);

describe('X25519MLKEM768 engine to engine', () => {
  for (const provider of [pureCryptoProvider, nodeCryptoProvider]) {
    it(`${provider.name} provider: both defaults negotiate X25519MLKEM768 in one round trip; data flows; the digest says so`, () => {
      const { s, c, errors, retried } = connect(defaults(), {}, provider);
      expect(errors).toEqual({});
      expect(retried).toBe(false);
      expect(s.digest().group).toBe('X25519MLKEM768');
      expect(c.digest().group).toBe('X25519MLKEM768');
      c.send(new TextEncoder().encode('ping'));
      s.send(new TextEncoder().encode('pong'));
      pump(c, s);
      expect(readAll(s)).toBe('ping');
      expect(readAll(c)).toBe('pong');
    });

    it(`${provider.name} provider: a client preferring x25519 (sharing only it) is asked for the hybrid by the default server (HelloRetryRequest)`, () => {
      const { s, c, errors, retried } = connect(defaults(), { groups: ['x25519', 'X25519MLKEM768'] }, provider);
      expect(errors).toEqual({});
      expect(retried).toBe(true);
      expect(s.digest().group).toBe('X25519MLKEM768');
      expect(c.digest().group).toBe('X25519MLKEM768');
    });
  }

  it('a classical server (setGroups) takes the default client\'s second share, x25519, without a retry', () => {
    const { s, c, errors, retried } = connect(defaults().setGroups(['x25519', 'secp256r1']), {}, nodeCryptoProvider);
    expect(errors).toEqual({});
    expect(retried).toBe(false);
    expect(s.digest().group).toBe('x25519');
    expect(c.digest().group).toBe('x25519');
  });

  it('a P-256-only server: the default client retries from its hybrid + x25519 offer to secp256r1', () => {
    const { c, errors, retried } = connect(defaults().setGroups(['secp256r1']), {}, nodeCryptoProvider);
    expect(errors).toEqual({});
    expect(retried).toBe(true);
    expect(c.digest().group).toBe('secp256r1');
  });

  it('TLS 1.2 never uses the hybrid: a TLS 1.2 server answers a hybrid-offering client with x25519 ECDHE', () => {
    const s = newServerEngine(compileServerConfig(defaults().setVersions('TLSv1.2', 'TLSv1.2'), nodeCryptoProvider), '127.0.0.1:1');
    const c = newClientEngine(compileClientConfig(clientOptions(pki), target, undefined, nodeCryptoProvider));
    c.start();
    s.start();
    expect(pump(c, s)).toEqual({});
    expect(c.digest()).toMatchObject({ version: 'TLSv1.2', group: 'x25519' });
    expect(s.digest()).toMatchObject({ version: 'TLSv1.2', group: 'x25519' });
  });

  it('a hybrid-only server and a classical-only client share no group: handshake_failure (40), NoCommonGroup', () => {
    const { errors } = connectNoRetryCheck(defaults().setGroups(['X25519MLKEM768']).setVersions('TLSv1.3'), { groups: ['x25519'] });
    expect(errors.b).toBeInstanceOf(PureTlsProtocolError);
    expect((errors.b as PureTlsProtocolError).condition).toBe('NoCommonGroup');
    expect((errors.b as PureTlsProtocolError).alert).toBe(40);
  });

  it('a resumed session (PSK-DHE) runs the hybrid exchange too', () => {
    const cache = new SessionCache();
    const cfg = compileServerConfig(defaults(), nodeCryptoProvider);
    for (const reused of [false, true]) {
      const s = newServerEngine(cfg, '127.0.0.1:1');
      const c = newClientEngine(compileClientConfig(clientOptions(pki), target, cache, nodeCryptoProvider));
      c.start();
      s.start();
      expect(pump(c, s)).toEqual({});
      expect(c.digest()).toMatchObject({ group: 'X25519MLKEM768', sessionReused: reused });
      expect(s.digest()).toMatchObject({ group: 'X25519MLKEM768', sessionReused: reused });
    }
  });
});

function connectNoRetryCheck(server: TlsSettings, over: Partial<TlsClientOptions>) {
  const s = newServerEngine(compileServerConfig(server, nodeCryptoProvider), '127.0.0.1:1');
  const c = newClientEngine(compileClientConfig(clientOptions(pki, over), target, undefined, nodeCryptoProvider));
  c.start();
  s.start();
  return { errors: pump(c, s) };
}
