import { describe, expect, it } from 'vitest';
import { TlsHandshakeError, TlsSettings } from '@proxy/core';
import { PureTlsProtocolError, nodeCryptoProvider, compileClientConfig, compileServerConfig } from '../src/index.js';
import { fromHex } from '../src/bytes.js';
import { trafficKeys } from '../src/key-schedule.js';
import { Tls13Protection } from '../src/record/protection.js';
import { TLS13_CIPHER_SUITES } from '../src/suites.js';
import { makePki } from './support/pki.js';
import { clientOptions } from './support/options.js';
import { pair, pump, readAll } from './support/pump.js';

const pki = makePki();

/**
 * A TLS 1.3 connection whose client traffic secret we learn from the key log, so the test can
 * write records the way another implementation might (padded, or all padding).
 */
function connected() {
  const lines: string[] = [];
  const server = compileServerConfig(TlsSettings.modern(pki.ecdsa.certPath, pki.ecdsa.keyPath), nodeCryptoProvider);
  const client = compileClientConfig(clientOptions(pki, { keylog: { callback: (l) => lines.push(l) } }), { sni: 'localhost', addr: 'x:1' }, undefined, nodeCryptoProvider);
  const { s, c } = pair(server, client);
  expect(pump(c, s)).toEqual({});
  const secret = fromHex(lines.find((l) => l.startsWith('CLIENT_TRAFFIC_SECRET_0'))!.split(' ')[2]!);
  const suite = TLS13_CIPHER_SUITES[0]!;
  const { key, iv } = trafficKeys(nodeCryptoProvider, suite.hash, secret, suite.keyLen);
  return { s, c, writer: new Tls13Protection(nodeCryptoProvider, suite, key, iv) };
}

describe('TLS 1.3 record padding (RFC 8446 5.4)', () => {
  it('padded records are accepted and the padding stripped', () => {
    const { s, writer } = connected();
    s.receive(writer.seal(23, new TextEncoder().encode('padded'), 1000));
    s.receive(writer.seal(23, new TextEncoder().encode('-more'), 0));
    expect(readAll(s)).toBe('padded-more');
  });

  it('the largest inner plaintext (2^14 + 1 bytes, padding included) is accepted; one byte more is record_overflow', () => {
    const { s, writer } = connected();
    s.receive(writer.seal(23, new Uint8Array(100).fill(65), 16384 - 100));
    expect(readAll(s).length).toBe(100);
    let err: TlsHandshakeError | undefined;
    try {
      s.receive(writer.seal(23, new Uint8Array(100).fill(65), 16384 - 100 + 1));
    } catch (e) {
      err = e as TlsHandshakeError;
    }
    expect(err?.alert).toBe(22);
    expect((err as PureTlsProtocolError).condition).toBe('InnerPlaintextTooLong');
  });

  it('a record of nothing but padding (no content type) is unexpected_message', () => {
    const { s, writer } = connected();
    const rec = writer.seal(0, new Uint8Array(0), 10); // inner plaintext all zeros
    let err: TlsHandshakeError | undefined;
    try {
      s.receive(rec);
    } catch (e) {
      err = e as TlsHandshakeError;
    }
    expect(err?.alert).toBe(10);
    expect((err as PureTlsProtocolError).condition).toBe('MissingInnerContentType');
  });

  it('a tampered record is bad_record_mac', () => {
    const { s, writer } = connected();
    const rec = writer.seal(23, new TextEncoder().encode('x'));
    rec[rec.length - 1]! ^= 1;
    let err: unknown;
    try {
      s.receive(rec);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PureTlsProtocolError);
    expect((err as PureTlsProtocolError).condition).toBe('BadRecordMac');
    expect((err as PureTlsProtocolError).alert).toBe(20);
  });
});
