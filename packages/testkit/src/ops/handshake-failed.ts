// The handshakeFailed hook on whichever backend the calling test file imported: real handshakes
// from Node's tls client that fail for known reasons, checked field by field.
import { connect, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProxyError} from '@proxy/core';
import {
  CertKey, HttpPeer, InvalidCertError, Server, ServerConf, TlsHandshakeError, TlsSettings, httpProxyService,
  type HandshakeFailureInfo, type ProxyHttp,
} from '@proxy/core';
import { testPki } from '../pki.js';

interface Seen { info: HandshakeFailureInfo; error: ProxyError }

const app: ProxyHttp<undefined> = {
  newCtx: () => undefined,
  upstreamPeer: () => new HttpPeer('127.0.0.1:1', false, ''),
  requestFilter(session) {
    session.respond(200, {}, 'ok');
    return true;
  },
};

/** Connects, returns the client's local port and whether the handshake succeeded. */
function handshake(port: number, o: { servername?: string; maxVersion?: 'TLSv1.2'; cert?: string; key?: string }): Promise<{ ok: boolean; localPort: number }> {
  return new Promise((resolve) => {
    const s: TLSSocket = connect({
      host: '127.0.0.1', port, servername: o.servername, rejectUnauthorized: false,
      ...(o.maxVersion ? { maxVersion: o.maxVersion } : {}),
      ...(o.cert ? { cert: o.cert, key: o.key } : {}),
    });
    let localPort = 0;
    s.once('connect', () => {
      localPort = s.localPort ?? 0;
    });
    // TLS 1.3: a refused client certificate shows after the client's Finished; read to see it.
    s.once('secureConnect', () => {
      s.write('GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
    });
    let got = '';
    s.on('data', (d: Buffer) => {
      got += d.toString();
    });
    s.once('error', () => resolve({ ok: false, localPort }));
    s.once('close', () => resolve({ ok: got.startsWith('HTTP/1.1 200'), localPort }));
    s.setTimeout(5000, () => s.destroy());
  });
}

/** Runs the handshakeFailed cases against the registered backend (the caller imports it). */
export function describeHandshakeFailedHook(backendName: string): void {
  describe(`handshakeFailed hook (${backendName})`, () => {
    const pki = testPki();
    const seen: Seen[] = [];
    let server: Server;
    let modernPort = 0;
    let mtlsPort = 0;
    let callbacksPort = 0;
    let throwingPort = 0;

    beforeAll(async () => {
      const conf = new ServerConf({ gracefulShutdownTimeoutSeconds: 1 });
      const svc = httpProxyService(conf, app);
      const record = (info: HandshakeFailureInfo, error: ProxyError): void => {
        seen.push({ info, error });
      };
      svc.addTls('127.0.0.1:0', TlsSettings.modern(pki.serverEcdsa.chain, pki.serverEcdsa.key).setHandshakeFailed(record));
      svc.addTls('127.0.0.1:0', TlsSettings.intermediate(pki.serverEcdsa.chain, pki.serverEcdsa.key)
        .setClientAuth({ ca: pki.caBundle, required: true }).setHandshakeFailed(record));
      svc.addTls('127.0.0.1:0', TlsSettings.withCallbacks({ handshakeFailed: record }, CertKey.fromFiles(pki.serverEcdsa.chain, pki.serverEcdsa.key))
        .setVersions('TLSv1.3'));
      svc.addTls('127.0.0.1:0', TlsSettings.modern(pki.serverEcdsa.chain, pki.serverEcdsa.key).setHandshakeFailed(() => {
        throw new Error('a broken hook');
      }));
      server = new Server(conf);
      server.addService(svc);
      await server.start();
      [modernPort, mtlsPort, callbacksPort, throwingPort] = svc.addresses().map((a) => a.port) as [number, number, number, number];
    });
    afterAll(() => server.stop());

    it('is called with the peer address, the SNI and a typed error when the versions do not meet', async () => {
      seen.length = 0;
      const r = await handshake(modernPort, { servername: 'failing.test', maxVersion: 'TLSv1.2' });
      expect(r.ok).toBe(false);
      await expect.poll(() => seen.length).toBe(1);
      const { info, error } = seen[0]!;
      expect(info.peerAddr).toBe(`127.0.0.1:${r.localPort}`);
      expect(info.localAddr).toBe(`127.0.0.1:${modernPort}`);
      expect(info.serverName).toBe('failing.test');
      expect(error).toBeInstanceOf(TlsHandshakeError);
      expect(error.source).toBe('downstream');
      expect(typeof error.code).toBe('string');
    });

    it('is not called for a handshake that succeeds', async () => {
      seen.length = 0;
      const r = await handshake(modernPort, { servername: 'localhost' });
      expect(r.ok).toBe(true);
      await new Promise((res) => setTimeout(res, 100));
      expect(seen).toEqual([]);
    });

    it('gets InvalidCertError (unknown-ca) for a client certificate from an untrusted CA, with no SNI when none was sent', async () => {
      seen.length = 0;
      const r = await handshake(mtlsPort, { cert: pki.untrustedClient.certPem, key: pki.untrustedClient.keyPem });
      expect(r.ok).toBe(false);
      await expect.poll(() => seen.length).toBe(1);
      const { info, error } = seen[0]!;
      expect(info.serverName).toBeUndefined();
      expect(error).toBeInstanceOf(InvalidCertError);
      expect((error as InvalidCertError).reason).toBe('unknown-ca');
    });

    it('works from TlsSettings.withCallbacks', async () => {
      seen.length = 0;
      const r = await handshake(callbacksPort, { servername: 'cb.test', maxVersion: 'TLSv1.2' });
      expect(r.ok).toBe(false);
      await expect.poll(() => seen.length).toBe(1);
      expect(seen[0]!.info.serverName).toBe('cb.test');
      expect(seen[0]!.error).toBeInstanceOf(TlsHandshakeError);
    });

    it('a hook that throws changes nothing for the next connections', async () => {
      expect((await handshake(throwingPort, { maxVersion: 'TLSv1.2' })).ok).toBe(false);
      expect((await handshake(throwingPort, {})).ok).toBe(true);
    });
  });
}
