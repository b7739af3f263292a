import { describe, expect, it } from 'vitest';
import { TlsHandshakeError, TlsProtocolError, TlsSettings } from '@proxy/core';
import {
  CONDITION_ALERTS, PureTlsProtocolError, compileClientConfig, compileServerConfig, newClientEngine, newServerEngine, nodeCryptoProvider,
} from '../src/index.js';
import { parseClientHello, parseServerHello } from '../src/messages/hello.js';
import { parseCertificate13, parseCertificateRequest13, parseCertificateVerify } from '../src/messages/certificate.js';
import { parseNewSessionTicket, parseOfferedPsks } from '../src/tls13/common.js';
import { parseAlpn, parseClientKeyShares, parseServerName } from '../src/messages/extensions.js';
import { parseServerKeyExchange } from '../src/tls12/common.js';
import { makePki } from './support/pki.js';
import { clientOptions } from './support/options.js';

/** xorshift32: a fixed seed makes every run the same run. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

function mutate(input: Uint8Array, r: () => number): Uint8Array {
  const b = Array.from(input);
  const edits = 1 + (r() % 4);
  for (let i = 0; i < edits; i++) {
    const op = r() % 5;
    const at = b.length ? r() % b.length : 0;
    if (op === 0 && b.length) b[at] = r() & 0xff; // overwrite
    else if (op === 1 && b.length) b[at]! ^= 1 << (r() % 8); // bit flip
    else if (op === 2) b.length = at; // truncate
    else if (op === 3) b.splice(at, 0, ...Array.from({ length: 1 + (r() % 8) }, () => r() & 0xff)); // insert
    else if (b.length > 1) {
      b[at] = 0xff; // an implausible length byte
    }
  }
  return Uint8Array.from(b);
}

/** Runs `fn`; anything thrown must be one of our typed TLS errors. */
function onlyTypedErrors(fn: () => void): 'ok' | 'tls-error' {
  try {
    fn();
    return 'ok';
  } catch (e) {
    if (!(e instanceof TlsHandshakeError)) throw new Error(`untyped error escaped: ${(e as Error)?.stack ?? e}`);
    // A protocol error names its condition, and the alert it carries is the table's.
    if (e instanceof TlsProtocolError) {
      if (!(e instanceof PureTlsProtocolError)) throw new Error(`protocol error without a named condition: ${e.stack}`);
      expect(e.alert).toBe(CONDITION_ALERTS[e.condition]);
    }
    return 'tls-error';
  }
}

/** The content types of the records in `out`. */
function recordTypes(out: Uint8Array | null): number[] {
  const types: number[] = [];
  for (let o = 0; out && o + 5 <= out.length; o += 5 + ((out[o + 3]! << 8) | out[o + 4]!)) types.push(out[o]!);
  return types;
}

/**
 * A handshake may still succeed when a mutation only touched bytes TLS ignores: the minor
 * version of a record header (RFC 8446 5.1: legacy_record_version is ignored), or trailing
 * bytes of a record not yet complete.
 */
function onlyIgnoredBytesChanged(original: Uint8Array, mutated: Uint8Array): boolean {
  const ignored = new Set<number>();
  for (let o = 0; o + 5 <= original.length; o += 5 + ((original[o + 3]! << 8) | original[o + 4]!)) ignored.add(o + 2);
  if (mutated.length > original.length) {
    // Bytes appended after the last whole record only start a record that never completes.
    if (!mutated.subarray(0, original.length).every((b, i) => b === original[i] || ignored.has(i))) return false;
    return true;
  }
  if (mutated.length !== original.length) return false;
  return mutated.every((b, i) => b === original[i] || ignored.has(i));
}

const pki = makePki();
const target = { sni: 'localhost', addr: '127.0.0.1:443' };

describe('fuzz (fixed seed, bounded)', () => {
  it('message parsers throw nothing but typed TLS errors on random and mutated input', () => {
    const r = rng(0x5eed);
    const parsers = [parseClientHello, parseServerHello, parseCertificate13, parseCertificateRequest13, parseCertificateVerify,
      parseNewSessionTicket, parseOfferedPsks, parseAlpn, parseClientKeyShares, parseServerName, parseServerKeyExchange];
    const client = newClientEngine(compileClientConfig(clientOptions(pki), target, undefined, nodeCryptoProvider));
    client.start();
    const ch = client.pullOutput()!.subarray(9); // record header + handshake header
    let errors = 0;
    for (let i = 0; i < 3000; i++) {
      const input = i % 3 === 0 ? Uint8Array.from({ length: r() % 64 }, () => r() & 0xff) : mutate(ch, r);
      for (const parse of parsers) if (onlyTypedErrors(() => parse(input)) === 'tls-error') errors++;
    }
    expect(errors).toBeGreaterThan(1000);
  });

  it('a server engine fed mutated ClientHello records answers with an alert or a ServerHello, never an untyped error', () => {
    const r = rng(0xc0ffee);
    const server = compileServerConfig(TlsSettings.intermediate(pki.ecdsa.certPath, pki.ecdsa.keyPath), nodeCryptoProvider);
    const client = newClientEngine(compileClientConfig(clientOptions(pki), target, undefined, nodeCryptoProvider));
    client.start();
    const chRecord = client.pullOutput()!;
    const outcomes = { ok: 0, 'tls-error': 0 };
    for (let i = 0; i < 400; i++) {
      const s = newServerEngine(server);
      const input = mutate(chRecord, r);
      // Feed in random-sized slices: record and message reassembly must cope with any split.
      const outcome = onlyTypedErrors(() => {
        for (let o = 0; o < input.length;) {
          const n = 1 + (r() % 64);
          s.receive(input.subarray(o, o + n));
          o += n;
        }
      });
      outcomes[outcome]++;
      const out = s.pullOutput();
      const types = recordTypes(out);
      // A failure ends with an alert: plaintext (21), or protected (23) once the server's keys are on.
      if (outcome === 'tls-error') expect([21, 23]).toContain(types[types.length - 1]);
      if (outcome === 'ok' && out) expect(types[0]).toBe(22); // a ServerHello flight
    }
    expect(outcomes['tls-error']).toBeGreaterThan(100);
  });

  it('a client engine fed a mutated server flight fails with a typed error', () => {
    const r = rng(0xbadc0de);
    const server = compileServerConfig(TlsSettings.intermediate(pki.ecdsa.certPath, pki.ecdsa.keyPath), nodeCryptoProvider);
    let failures = 0;
    for (let i = 0; i < 100; i++) {
      const c = newClientEngine(compileClientConfig(clientOptions(pki), target, undefined, nodeCryptoProvider));
      const s = newServerEngine(server);
      c.start();
      s.receive(c.pullOutput()!);
      const flight = s.pullOutput()!;
      const bad = mutate(flight, r);
      if (onlyTypedErrors(() => c.receive(bad)) === 'tls-error') failures++;
      if (c.handshakeDone) expect(onlyIgnoredBytesChanged(flight, bad)).toBe(true);
    }
    expect(failures).toBeGreaterThan(35);
  });

  for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
    it(`${version}: mutated flights in both directions after the first fail with typed errors, never complete`, () => {
      const r = rng(version === 'TLSv1.2' ? 0x1212 : 0x1313);
      const settings = TlsSettings.intermediate(pki.ecdsa.certPath, pki.ecdsa.keyPath).setVersions(version, version)
        .setClientAuth({ ca: pki.caPem, required: false });
      const server = compileServerConfig(settings, nodeCryptoProvider);
      let failures = 0;
      for (let i = 0; i < 60; i++) {
        const c = newClientEngine(compileClientConfig(clientOptions(pki, { clientCertKey: pki.client.certKey }), target, undefined, nodeCryptoProvider));
        const s = newServerEngine(server);
        c.start();
        s.receive(c.pullOutput()!);
        const flight = s.pullOutput()!;
        if (i % 2 === 0) {
          // The server's flight, mutated, to the client.
          const bad = mutate(flight, r);
          if (onlyTypedErrors(() => c.receive(bad)) === 'tls-error') failures++;
          if (c.handshakeDone) expect(onlyIgnoredBytesChanged(flight, bad)).toBe(true);
        } else {
          // The client's answer, mutated, to the server.
          c.receive(flight);
          const answer = c.pullOutput()!;
          const bad = mutate(answer, r);
          if (onlyTypedErrors(() => s.receive(bad)) === 'tls-error') failures++;
          if (s.handshakeDone) expect(onlyIgnoredBytesChanged(answer, bad)).toBe(true);
        }
      }
      expect(failures).toBeGreaterThan(20);
    });
  }

  it('garbage, oversized records and bad content types are fatal alerts', () => {
    const server = compileServerConfig(TlsSettings.intermediate(pki.ecdsa.certPath, pki.ecdsa.keyPath), nodeCryptoProvider);
    const cases: Array<[Uint8Array, number]> = [
      [Uint8Array.of(0x47, 0x45, 0x54, 0x20, 0x2f), 10], // "GET /": unknown content type
      [Uint8Array.of(22, 3, 1, 0x48, 0x01), 22], // record longer than 2^14 + 2048
      [Uint8Array.of(23, 3, 3, 0, 1, 0), 10], // application data before the handshake
      [Uint8Array.of(22, 3, 1, 0, 0), 10], // empty handshake record
      [Uint8Array.of(21, 3, 3, 0, 3, 2, 40, 0), 50], // malformed alert
      [Uint8Array.of(22, 3, 1, 0, 4, 2, 0, 0, 0), 10], // ServerHello sent to a server
      [Uint8Array.of(22, 3, 1, 0, 4, 1, 0xff, 0xff, 0xff), 50], // ClientHello claiming 16 MiB
    ];
    for (const [bytes, alert] of cases) {
      const s = newServerEngine(server);
      let err: TlsHandshakeError | undefined;
      try {
        s.receive(bytes);
      } catch (e) {
        err = e as TlsHandshakeError;
      }
      expect(err, `input ${Buffer.from(bytes).toString('hex')}`).toBeInstanceOf(TlsHandshakeError);
      expect(err!.alert).toBe(alert);
      const out = s.pullOutput()!;
      expect(Array.from(out)).toEqual([21, 3, 3, 0, 2, 2, alert]);
    }
  });
});
