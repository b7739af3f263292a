import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InvalidCertError, TlsAlertReceivedError, TlsHandshakeError, TlsSettings, type TlsVersion } from '@proxy/core';
import { makePki } from './support/pki.js';
import { clientOptions, Alpn } from './support/options.js';
import { pair, pump, readAll, compileClientConfig, compileServerConfig, SessionCache } from './support/pump.js';
import { nodeCryptoProvider, pureCryptoProvider, type CryptoProvider } from '../src/index.js';

const pki = makePki();
const target = { sni: 'localhost', addr: '127.0.0.1:443' };

function settingsFor(cert: { certPath: string; keyPath: string }): TlsSettings {
  return TlsSettings.intermediate(cert.certPath, cert.keyPath);
}

// Protocol cases run on the node provider for speed; the provider matrix above covers the pure one.
function handshake(settings: TlsSettings, opts = clientOptions(pki), provider: CryptoProvider = nodeCryptoProvider, cache?: SessionCache) {
  const server = compileServerConfig(settings, provider);
  const client = compileClientConfig(opts, target, cache, provider);
  const { s, c } = pair(server, client);
  const errors = pump(c, s);
  return { s, c, errors };
}

describe('TLS 1.3 engine to engine', () => {
  for (const provider of [pureCryptoProvider, nodeCryptoProvider]) {
    for (const [label, cert] of [['ECDSA P-256', pki.ecdsa], ['ECDSA P-384', pki.p384], ['RSA-PSS', pki.rsa], ['Ed25519', pki.ed25519]] as const) {
      it(`${provider.name} provider, ${label} certificate: handshake, data both ways, digest`, () => {
        const { s, c, errors } = handshake(settingsFor(cert), clientOptions(pki), provider);
        expect(errors).toEqual({});
        expect(s.handshakeDone && c.handshakeDone).toBe(true);
        c.send(new TextEncoder().encode('ping'));
        s.send(new TextEncoder().encode('pong'));
        pump(c, s);
        expect(readAll(s)).toBe('ping');
        expect(readAll(c)).toBe('pong');
        const d = c.digest();
        expect(d.version).toBe('TLSv1.3');
        // The server prefers ChaCha20 when its AES is software (the pure provider), AES-GCM otherwise.
        expect(d.cipher).toBe(provider.hardwareAes ? 'TLS_AES_128_GCM_SHA256' : 'TLS_CHACHA20_POLY1305_SHA256');
        // The hybrid post-quantum group by default on both sides (x25519mlkem768.test.ts has the rest).
        expect(d.group).toBe('X25519MLKEM768');
        expect(d.peerCertificate?.sha256).toBe(cert.sha256);
        expect(s.digest().sni).toBe('localhost');
      });
    }
  }

  it('every TLS 1.3 suite negotiates when it is the only one the server allows', () => {
    for (const suite of ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256']) {
      const settings = settingsFor(pki.ecdsa);
      (settings as { tls13Suites: readonly string[] }).tls13Suites = [suite];
      const { s, c, errors } = handshake(settings);
      expect(errors).toEqual({});
      expect(s.digest().cipher).toBe(suite);
      c.send(new Uint8Array(40000).fill(7));
      pump(c, s);
      let n = 0;
      for (let p = s.pullPlaintext(); p; p = s.pullPlaintext()) n += p.length;
      expect(n).toBe(40000);
    }
  });

  it('HelloRetryRequest when the server only accepts a group the client did not share first (both providers: P-256 keys come from our fixed-base table on the pure one)', () => {
    for (const provider of [pureCryptoProvider, nodeCryptoProvider]) {
      for (const group of ['secp256r1', 'secp384r1']) {
        const settings = settingsFor(pki.ecdsa).setGroups([group]);
        const { s, c, errors } = handshake(settings, clientOptions(pki), provider);
        expect(errors).toEqual({});
        expect(s.digest().group).toBe(group);
        expect(c.digest().group).toBe(group);
      }
    }
  });

  it('ALPN: server preference among the offered protocols; no overlap is no_application_protocol', () => {
    const settings = settingsFor(pki.ecdsa).enableH2();
    const ok = handshake(settings, clientOptions(pki, { alpn: Alpn.custom('http/1.1', 'h2') }));
    expect(ok.errors).toEqual({});
    expect(ok.c.digest().alpn).toBe('h2');
    const bad = handshake(settingsFor(pki.ecdsa).setAlpn(Alpn.custom('x-proto')), clientOptions(pki, { alpn: Alpn.H2 }));
    expect((bad.errors.b as TlsHandshakeError).alert).toBe(120);
    expect(bad.errors.a).toBeInstanceOf(TlsAlertReceivedError);
  });

  it('client certificates: required and sent, required and missing, optional and missing', () => {
    const req = settingsFor(pki.ecdsa).setClientAuth({ ca: pki.caPem, required: true });
    const sent = handshake(req, clientOptions(pki, { clientCertKey: pki.client.certKey }));
    expect(sent.errors).toEqual({});
    expect(sent.s.digest().peerCertificate?.sha256).toBe(pki.client.sha256);
    const missing = handshake(req);
    expect((missing.errors.b as TlsHandshakeError).alert).toBe(116); // certificate_required
    const optional = handshake(settingsFor(pki.ecdsa).setClientAuth({ ca: pki.caPem, required: false }));
    expect(optional.errors).toEqual({});
    expect(optional.s.digest().peerCertificate).toBeUndefined();
  });

  it('KeyUpdate both ways keeps data flowing', () => {
    const { s, c } = handshake(settingsFor(pki.ecdsa));
    c.keyUpdate(true);
    c.send(new TextEncoder().encode('after-update'));
    pump(c, s);
    expect(readAll(s)).toBe('after-update');
    s.send(new TextEncoder().encode('server-after'));
    s.keyUpdate(false);
    s.send(new TextEncoder().encode('-again'));
    pump(c, s);
    expect(readAll(c)).toBe('server-after-again');
  });

  it('resumes with a ticket (PSK-DHE) and reports sessionReused', () => {
    const settings = settingsFor(pki.ecdsa);
    const server = compileServerConfig(settings);
    const cache = new SessionCache();
    const client = compileClientConfig(clientOptions(pki), target, cache);
    const first = pair(server, client);
    expect(pump(first.c, first.s)).toEqual({});
    expect(first.c.digest().sessionReused).toBe(false);
    const second = pair(server, client);
    expect(pump(second.c, second.s)).toEqual({});
    expect(second.c.digest().sessionReused).toBe(true);
    expect(second.s.digest().sessionReused).toBe(true);
    second.c.send(new TextEncoder().encode('resumed'));
    pump(second.c, second.s);
    expect(readAll(second.s)).toBe('resumed');
  });

  it('close_notify is seen by the peer', () => {
    const { s, c } = handshake(settingsFor(pki.ecdsa));
    c.close();
    pump(c, s);
    expect(s.peerClosed).toBe(true);
  });
});

describe('TLS 1.2 engine to engine', () => {
  const v12 = { minVersion: 'TLSv1.2' as TlsVersion, maxVersion: 'TLSv1.2' as TlsVersion };
  for (const [cert, suites] of [
    [pki.ecdsa, ['TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256']],
    [pki.rsa, ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256']],
  ] as const) {
    for (const suite of suites) {
      it(`${suite}`, () => {
        const settings = settingsFor(cert);
        (settings as { tls12Suites: readonly string[] }).tls12Suites = [suite];
        const { s, c, errors } = handshake(settings, clientOptions(pki, v12));
        expect(errors).toEqual({});
        expect(c.digest()).toMatchObject({ version: 'TLSv1.2', cipher: suite, group: 'x25519' });
        c.send(new TextEncoder().encode('hello12'));
        s.send(new TextEncoder().encode('back12'));
        pump(c, s);
        expect(readAll(s)).toBe('hello12');
        expect(readAll(c)).toBe('back12');
      });
    }
  }

  it('a server limited to TLS 1.2 negotiates 1.2 with a client that offers both', () => {
    const { c, errors } = handshake(settingsFor(pki.ecdsa).setVersions('TLSv1.2', 'TLSv1.2'));
    expect(errors).toEqual({});
    expect(c.digest().version).toBe('TLSv1.2');
  });

  it('client certificates over TLS 1.2', () => {
    const req = settingsFor(pki.rsa).setClientAuth({ ca: pki.caPem, required: true });
    const sent = handshake(req, clientOptions(pki, { ...v12, clientCertKey: pki.client.certKey }));
    expect(sent.errors).toEqual({});
    expect(sent.s.digest().peerCertificate?.sha256).toBe(pki.client.sha256);
    const missing = handshake(req, clientOptions(pki, v12));
    expect((missing.errors.b as TlsHandshakeError).alert).toBe(40);
  });

  it('resumes by ticket (RFC 5077) with extended master secret', () => {
    const server = compileServerConfig(settingsFor(pki.ecdsa));
    const cache = new SessionCache();
    const client = compileClientConfig(clientOptions(pki, v12), target, cache);
    const first = pair(server, client);
    expect(pump(first.c, first.s)).toEqual({});
    const second = pair(server, client);
    expect(pump(second.c, second.s)).toEqual({});
    expect(second.c.digest().sessionReused).toBe(true);
    second.s.send(new TextEncoder().encode('r12'));
    pump(second.c, second.s);
    expect(readAll(second.c)).toBe('r12');
  });
});

describe('certificate verification in the handshake', () => {
  it('hostname mismatch is InvalidCert with a bad_certificate alert to the server', () => {
    const { errors } = handshake(settingsFor(pki.ecdsa), clientOptions(pki), pureCryptoProvider);
    expect(errors).toEqual({});
    const server = compileServerConfig(settingsFor(pki.ecdsa));
    const client = compileClientConfig(clientOptions(pki), { sni: 'other.example', addr: '127.0.0.1:443' }, undefined);
    const { s, c } = pair(server, client);
    const e = pump(c, s);
    expect(e.a).toBeInstanceOf(InvalidCertError);
    expect((e.a as InvalidCertError).reason).toBe('hostname-mismatch');
    expect((e.b as TlsAlertReceivedError).alert).toBe(42);
  });

  it('an unknown CA is InvalidCert unknown-ca; verifyCert false accepts it', () => {
    const opts = clientOptions(pki, { ca: [new X509Certificate(pki.otherCaPem)] });
    const bad = handshake(settingsFor(pki.ecdsa), opts);
    expect((bad.errors.a as InvalidCertError).reason).toBe('unknown-ca');
    const off = handshake(settingsFor(pki.ecdsa), { ...opts, verifyCert: false });
    expect(off.errors).toEqual({});
  });
});
