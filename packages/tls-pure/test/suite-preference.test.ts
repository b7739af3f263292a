import { describe, expect, it } from 'vitest';
import { TlsSettings } from '@proxy/core';
import { makePki } from './support/pki.js';
import { clientOptions } from './support/options.js';
import { pair, pump, compileClientConfig, compileServerConfig } from './support/pump.js';
import { nodeCryptoProvider, pureCryptoProvider, type CryptoProvider } from '../src/index.js';
import { TLS12_CIPHER_SUITES, TLS13_CIPHER_SUITES, serverSuitePreference, suiteByName } from '../src/suites.js';

const pki = makePki();
const target = { sni: 'localhost', addr: '127.0.0.1:443' };
const code = (name: string) => suiteByName(name)!.code;

/** A handshake where the client offers `clientOrder` (IANA names, its preference order). */
function negotiate(serverProvider: CryptoProvider, clientOrder: string[], maxVersion: 'TLSv1.2' | 'TLSv1.3' = 'TLSv1.3') {
  const server = compileServerConfig(TlsSettings.intermediate(pki.ecdsa.certPath, pki.ecdsa.keyPath), serverProvider);
  const client = compileClientConfig({ ...clientOptions(pki), maxVersion }, target, undefined, nodeCryptoProvider);
  const ordered = clientOrder.map((n) => suiteByName(n)!);
  Object.assign(client, {
    tls13Suites: ordered.filter((s) => s.version === 'TLSv1.3'),
    tls12Suites: ordered.filter((s) => s.version === 'TLSv1.2'),
  });
  const { s, c } = pair(server, client);
  expect(pump(c, s)).toEqual({});
  return s.digest().cipher;
}

describe('server cipher-suite preference (as Go crypto/tls and BoringSSL choose)', () => {
  const aesFirst13 = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'];
  const chachaFirst13 = ['TLS_CHACHA20_POLY1305_SHA256', 'TLS_AES_128_GCM_SHA256'];

  it('with hardware AES (node provider) the configured order holds unless the client puts ChaCha20 first', () => {
    expect(negotiate(nodeCryptoProvider, aesFirst13)).toBe('TLS_AES_128_GCM_SHA256');
    expect(negotiate(nodeCryptoProvider, ['TLS_AES_256_GCM_SHA384', 'TLS_AES_128_GCM_SHA256'])).toBe('TLS_AES_128_GCM_SHA256');
    expect(negotiate(nodeCryptoProvider, chachaFirst13)).toBe('TLS_CHACHA20_POLY1305_SHA256');
  });

  it('with software AES (pure provider) ChaCha20 comes first whenever the client offers it, and AES-GCM still serves clients without it', () => {
    expect(negotiate(pureCryptoProvider, aesFirst13)).toBe('TLS_CHACHA20_POLY1305_SHA256');
    expect(negotiate(pureCryptoProvider, ['TLS_AES_256_GCM_SHA384', 'TLS_AES_128_GCM_SHA256'])).toBe('TLS_AES_128_GCM_SHA256');
  });

  it('applies to TLS 1.2 suites too', () => {
    const offer12 = ['TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256'];
    expect(negotiate(pureCryptoProvider, offer12, 'TLSv1.2')).toBe('TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256');
    expect(negotiate(nodeCryptoProvider, offer12, 'TLSv1.2')).toBe('TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256');
    expect(negotiate(nodeCryptoProvider, [...offer12].reverse(), 'TLSv1.2')).toBe('TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256');
  });

  it('only reorders: the configured set is kept, unknown client codes (GREASE) are skipped when reading its preference', () => {
    const only = TLS13_CIPHER_SUITES.filter((s) => s.aead !== 'chacha20-poly1305');
    expect(serverSuitePreference(only, false, [code('TLS_CHACHA20_POLY1305_SHA256')]).map((s) => s.name)).toEqual(only.map((s) => s.name));
    const grease = [0x0a0a, code('TLS_CHACHA20_POLY1305_SHA256'), code('TLS_AES_128_GCM_SHA256')];
    expect(serverSuitePreference(TLS13_CIPHER_SUITES, true, grease)[0]!.name).toBe('TLS_CHACHA20_POLY1305_SHA256');
    expect(serverSuitePreference(TLS12_CIPHER_SUITES, true, [code('TLS_AES_128_GCM_SHA256')])).toBe(TLS12_CIPHER_SUITES);
  });
});
