// The engine in memory, client and server both BoringSSL: what the digest reports, the alerts
// and typed errors for each failure, certificate selection, resumption and the key log.
import { randomBytes } from 'node:crypto';
import '@proxy/tls-boring';
import {
  Alpn, CertKey, InvalidCertError, TlsAlertReceivedError, TlsFeatureUnsupportedError, TlsProtocolError, TlsSettings,
} from '@proxy/core';
import { compileClient, compileServer, newClientEngine, newServerEngine } from '@proxy/tls-boring';
import { clientOptions, testPki } from '@proxy/testkit';
import { describe, expect, it } from 'vitest';
import { drainText, pair, pump } from './support/pump.js';

const pki = testPki();
const ecdsa = (): TlsSettings => TlsSettings.intermediate(pki.serverEcdsa.chain, pki.serverEcdsa.key);

describe('BoringSSL engine in memory', () => {
  for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
    it(`${version}: handshake, data both ways, digest fields`, () => {
      const { client, server } = pair(ecdsa().setVersions(version, version).enableH2(), clientOptions(pki, { alpn: Alpn.H2H1 }));
      const r = pump(client, server);
      expect(r).toEqual({});
      expect(client.handshakeDone && server.handshakeDone).toBe(true);
      client.send(Buffer.from('ping'));
      pump(client, server);
      expect(drainText(server)).toBe('ping');
      server.send(Buffer.from('pong'));
      pump(client, server);
      expect(drainText(client)).toBe('pong');
      const d = server.digest();
      expect(d).toMatchObject({ backend: 'boringssl', version, group: 'x25519', sni: 'localhost', alpn: 'h2', sessionReused: false });
      expect(d.cipher).toBe(version === 'TLSv1.3' ? 'TLS_AES_128_GCM_SHA256' : 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256');
      expect(client.digest().peerCertificate?.subjectAltNames).toContain('DNS:localhost');
      client.close();
      pump(client, server);
      expect(server.peerClosed).toBe(true);
      client.destroy();
      server.destroy();
      server.destroy(); // idempotent
    });
  }

  it('sendChunks: a batch of small writes is one record; large writes in a batch arrive intact, in order', () => {
    const { client, server } = pair(ecdsa().setVersions('TLSv1.3', 'TLSv1.3'), clientOptions(pki));
    expect(pump(client, server)).toEqual({});
    client.sendChunks([Buffer.from('GET / HTTP/1.1\r\n'), Buffer.from('Host: a\r\n'), Buffer.from('\r\n')]);
    const out = client.pullOutputChunks();
    // One TLS 1.3 record: 5 bytes of header, the content type, a 16-byte tag.
    expect(out.reduce((n, b) => n + b.length, 0)).toBe(27 + 22);
    for (const chunk of out) server.receive(chunk);
    expect(drainText(server)).toBe('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    const parts = [Buffer.from('a'), Buffer.alloc(40_000, 1), Buffer.from('b'), Buffer.from('c'), Buffer.alloc(20_000, 2)];
    const many = Array.from({ length: 70 }, (_, i) => Buffer.from(`${i},`));
    server.sendChunks([...parts, ...many]);
    pump(client, server);
    let got = Buffer.alloc(0);
    for (let p = client.pullPlaintext(); p; p = client.pullPlaintext()) got = Buffer.concat([got, p]);
    expect(got.equals(Buffer.concat([...parts, ...many]))).toBe(true);
  });

  it('groups map to IANA names (P-256 → secp256r1, P-384 → secp384r1)', () => {
    for (const [group, name] of [['secp256r1', 'secp256r1'], ['secp384r1', 'secp384r1']] as const) {
      const { client, server } = pair(ecdsa().setGroups([group]), clientOptions(pki));
      expect(pump(client, server)).toEqual({});
      expect(server.digest().group).toBe(name);
    }
  });

  it('an RSA certificate serves TLS 1.2 with an ECDHE_RSA suite', () => {
    const settings = TlsSettings.intermediate(pki.serverRsa.chain, pki.serverRsa.key).setVersions('TLSv1.2', 'TLSv1.2');
    const { client, server } = pair(settings, clientOptions(pki));
    expect(pump(client, server)).toEqual({});
    expect(server.digest().cipher).toBe('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256');
  });

  it('no ALPN overlap: no_application_protocol (120) both ways', () => {
    const { client, server } = pair(ecdsa().setAlpn(Alpn.custom('only-this')), clientOptions(pki, { alpn: Alpn.H2H1 }));
    const r = pump(client, server);
    expect(r.serverError).toBeInstanceOf(TlsProtocolError);
    expect(r.serverError!.alert).toBe(120);
    expect(r.clientError).toBeInstanceOf(TlsAlertReceivedError);
    expect(r.clientError!.alert).toBe(120);
  });

  it('certificate hook: pauses with the lower-cased SNI, installs the chosen chain, and resumes', () => {
    const other = CertKey.fromFiles(pki.otherHost.chain, pki.otherHost.key);
    const settings = TlsSettings.withCallbacks({ certificate: () => other });
    const { client, server } = pair(settings, clientOptions(pki), 'Other.Test');
    pump(client, server);
    expect(server.pendingClientHello).toEqual({ serverName: 'other.test', peerAddr: '127.0.0.1:1234' });
    server.selectCertificate(other);
    expect(server.pendingClientHello).toBeUndefined();
    expect(pump(client, server)).toEqual({});
    expect(client.digest().peerCertificate?.commonName).toBe(pki.otherHost.commonName);
  });

  it('certificate hook answering undefined with no default certificate: unrecognized_name (112)', () => {
    const settings = TlsSettings.withCallbacks({ certificate: () => undefined });
    const { client, server } = pair(settings, clientOptions(pki));
    pump(client, server);
    expect(server.pendingClientHello).toBeDefined();
    let error: unknown;
    try {
      server.selectCertificate(undefined);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TlsProtocolError);
    expect((error as TlsProtocolError).alert).toBe(112);
    const out = Buffer.concat(server.pullOutputChunks());
    expect([...out]).toEqual([21, 3, 3, 0, 2, 2, 112]);
  });

  it('InvalidCert reasons: unknown-ca, expired, hostname-mismatch; alternativeCn and IP checks pass', () => {
    const fail = (settings: TlsSettings, over: Parameters<typeof clientOptions>[1], sni = 'localhost'): InvalidCertError => {
      const { client, server } = pair(settings, clientOptions(pki, over), sni);
      const r = pump(client, server);
      expect(r.clientError).toBeInstanceOf(InvalidCertError);
      expect(r.clientError!.code).toBe('TLS_INVALID_CERT');
      return r.clientError as InvalidCertError;
    };
    const untrusted = { ca: undefined, caPem: pki.untrustedCa.certPem };
    expect(fail(ecdsa(), untrusted).reason).toBe('unknown-ca');
    expect(fail(TlsSettings.intermediate(pki.expired.chain, pki.expired.key), {}).reason).toBe('expired');
    expect(fail(TlsSettings.intermediate(pki.wrongHost.chain, pki.wrongHost.key), {}).reason).toBe('hostname-mismatch');
    // The alternative name is accepted in addition to the SNI.
    const alt = pair(TlsSettings.intermediate(pki.wrongHost.chain, pki.wrongHost.key), clientOptions(pki, { alternativeCn: 'wrong.test' }));
    expect(pump(alt.client, alt.server)).toEqual({});
    // No SNI: the address is checked (127.0.0.1 is in the server's SANs), and no SNI is sent.
    const server = newServerEngine(compileServer(ecdsa()));
    const client = newClientEngine(compileClient(clientOptions(pki)), { sni: '', addr: '127.0.0.1:443' });
    client.start();
    expect(pump(client, server)).toEqual({});
    expect(server.digest().sni).toBeUndefined();
    // verifyHostname off: the wrong name is accepted, the chain still checked.
    const loose = pair(TlsSettings.intermediate(pki.wrongHost.chain, pki.wrongHost.key), clientOptions(pki, { verifyHostname: false }));
    expect(pump(loose.client, loose.server)).toEqual({});
  });

  it('client certificates: required refuses none, optional still verifies one that is sent', () => {
    const required = ecdsa().setClientAuth({ ca: pki.caPem, required: true });
    const none = pair(required, clientOptions(pki));
    const r1 = pump(none.client, none.server);
    expect(r1.serverError).toBeInstanceOf(InvalidCertError);
    expect((r1.serverError as InvalidCertError).reason).toBe('no-certificate');

    const clientCert = CertKey.fromFiles(pki.client.chain, pki.client.key);
    const good = pair(required, clientOptions(pki, { clientCertKey: clientCert }));
    expect(pump(good.client, good.server)).toEqual({});
    expect(good.server.digest().peerCertificate?.commonName).toBe('client.test');

    const optional = ecdsa().setClientAuth({ ca: pki.caPem, required: false });
    const untrusted = CertKey.fromFiles(pki.untrustedClient.chain, pki.untrustedClient.key);
    const bad = pair(optional, clientOptions(pki, { clientCertKey: untrusted }));
    const r2 = pump(bad.client, bad.server);
    expect(r2.serverError).toBeInstanceOf(InvalidCertError);
    expect((r2.serverError as InvalidCertError).reason).toBe('unknown-ca');
    const anonymous = pair(optional, clientOptions(pki));
    expect(pump(anonymous.client, anonymous.server)).toEqual({});
    expect(anonymous.server.digest().peerCertificate).toBeUndefined();
  });

  for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
    it(`${version}: session tickets resume by default; setSessionTickets(false) turns resumption off`, () => {
      for (const tickets of [true, false]) {
        const compiledServer = compileServer(ecdsa().setVersions(version, version).setSessionTickets(tickets));
        const compiledClient = compileClient(clientOptions(pki));
        const reused: boolean[] = [];
        for (let i = 0; i < 2; i++) {
          const server = newServerEngine(compiledServer);
          const client = newClientEngine(compiledClient, { sni: 'localhost', addr: '127.0.0.1:443' });
          client.start();
          expect(pump(client, server)).toEqual({});
          // TLS 1.3 tickets come after the handshake: let the client read them.
          server.send(Buffer.from('x'));
          pump(client, server);
          reused.push(client.digest().sessionReused);
        }
        // With tickets off, TLS 1.2 may still resume by session ID; TLS 1.3 cannot.
        if (tickets) expect(reused).toEqual([false, true]);
        else if (version === 'TLSv1.3') expect(reused).toEqual([false, false]);
      }
    });
  }

  for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
    for (const keyLength of [48, 80]) {
      it(`${version}: shared ticket keys (${keyLength} bytes): the first seals, the others still open and re-seal under the first; an unlisted key opens nothing`, () => {
        const [k1, k2, k3] = [randomBytes(keyLength), randomBytes(keyLength), randomBytes(keyLength)];
        const server = (keys: Buffer[]) => compileServer(ecdsa().setVersions(version, version).setTicketKeys(keys));
        // Three processes of one fleet, before, during and after a rotation.
        const before = server([k1]);
        const during = server([k2, k1]);
        const after = server([k3, k2]);
        /** One connection from this compiled client; whether it resumed. */
        const connect = (compiledClient: ReturnType<typeof compileClient>, compiledServer: ReturnType<typeof compileServer>): boolean => {
          const s = newServerEngine(compiledServer);
          const c = newClientEngine(compiledClient, { sni: 'localhost', addr: '127.0.0.1:443' });
          c.start();
          expect(pump(c, s)).toEqual({});
          // TLS 1.3 tickets come after the handshake: let the client read them.
          s.send(Buffer.from('x'));
          pump(c, s);
          const reused = c.digest().sessionReused;
          expect(s.digest().sessionReused).toBe(reused);
          c.destroy();
          s.destroy();
          return reused;
        };
        // A ticket sealed under k1 resumes where k1 is still listed, and the fresh ticket that
        // connection hands out is sealed under k2: it resumes after k1 is gone.
        const rotating = compileClient(clientOptions(pki));
        expect([connect(rotating, before), connect(rotating, during), connect(rotating, after)]).toEqual([false, true, true]);
        // A k1 ticket where k1 is no longer listed: a full handshake.
        const stale = compileClient(clientOptions(pki));
        expect([connect(stale, before), connect(stale, after)]).toEqual([false, false]);
      });
    }
  }

  it('key log: NSS lines through the callback, for both sides', () => {
    const lines: string[] = [];
    const settings = ecdsa().setKeylog((l) => lines.push(`server ${l}`));
    const { client, server } = pair(settings, clientOptions(pki, { keylog: { callback: (l) => lines.push(`client ${l}`) } }));
    expect(pump(client, server)).toEqual({});
    expect(lines.some((l) => l.startsWith('server CLIENT_HANDSHAKE_TRAFFIC_SECRET '))).toBe(true);
    expect(lines.some((l) => l.startsWith('client SERVER_TRAFFIC_SECRET_0 '))).toBe(true);
  });

  it('settings the library cannot honour throw TlsFeatureUnsupportedError when compiled', () => {
    const withNative = ecdsa().native(() => {});
    expect(() => compileServer(withNative)).toThrow(TlsFeatureUnsupportedError);
    expect(() => compileServer(ecdsa().setGroups(['x448']))).toThrow(TlsFeatureUnsupportedError);
    expect(() => compileServer(ecdsa().setGroups(['X25519MLKEM768', 'x25519']))).toThrow(TlsFeatureUnsupportedError);
    expect(() => compileClient(clientOptions(pki, { groups: ['X25519MLKEM768'] }))).toThrow(TlsFeatureUnsupportedError);
    const badSuites = ecdsa();
    (badSuites as { tls13Suites: readonly string[] }).tls13Suites = ['TLS_AES_128_GCM_SHA256'];
    expect(() => compileServer(badSuites)).toThrow(TlsFeatureUnsupportedError);
  });
});
