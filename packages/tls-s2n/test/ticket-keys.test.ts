// Session ticket keys in memory, server and client both s2n: a fleet rotating its shared keys
// (the first seals, the others still open), and tickets still issued and resumed after s2n's
// default key windows (2 hours to encrypt, 13 more to decrypt) would have closed.
import { X509Certificate, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import '@proxy/tls-s2n';
import { TlsSettings, tlsClientOptions, type TlsEngine, type TlsVersion } from '@proxy/core';
import { testPki } from '@proxy/testkit';
import { compileClient, compileServer, newServerEngine, s2n, type S2nClientContext, type S2nServerContext } from '@proxy/tls-s2n';

const pki = testPki();
const target = { sni: 'localhost', addr: '127.0.0.1:443' };

function drain(engine: TlsEngine): Buffer {
  const out: Uint8Array[] = [];
  for (let o = engine.pullOutput(); o; o = engine.pullOutput()) out.push(o);
  return Buffer.concat(out);
}

function client(version: TlsVersion): S2nClientContext {
  return compileClient(tlsClientOptions({ ca: [new X509Certificate(pki.caPem)], caPem: pki.caPem, minVersion: version, maxVersion: version }));
}

function server(version: TlsVersion, keys?: Buffer[]): S2nServerContext {
  const settings = TlsSettings.intermediate(pki.serverEcdsa.chain, pki.serverEcdsa.key).setVersions(version, version);
  return compileServer(keys ? settings.setTicketKeys(keys) : settings);
}

/** One connection from this client to this server, in memory; whether it resumed (both sides agree). */
function connect(c: S2nClientContext, s: S2nServerContext): boolean {
  const ce = c.engine(target);
  const se = newServerEngine(s);
  ce.start();
  for (let round = 0; round < 10; round++) {
    const toServer = drain(ce);
    if (toServer.length) se.receive(toServer);
    // TLS 1.3 tickets follow the handshake: data from the server carries them to the client.
    if (se.handshakeDone && round === 3) se.send(Buffer.from('x'));
    const toClient = drain(se);
    if (toClient.length) ce.receive(toClient);
  }
  expect(ce.handshakeDone && se.handshakeDone).toBe(true);
  const reused = ce.digest().sessionReused;
  expect(se.digest().sessionReused).toBe(reused);
  ce.destroy();
  se.destroy();
  return reused;
}

describe('s2n session ticket keys', () => {
  for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
    it(`${version}: a fleet rotating shared keys: the first seals, the others still open; an unlisted key opens nothing`, () => {
      const [k1, k2, k3] = [randomBytes(80), randomBytes(80), randomBytes(80)];
      const before = server(version, [k1]);
      const during = server(version, [k2, k1]);
      const after = server(version, [k3, k2]);
      const rotating = client(version);
      // Each server compiled once: the rotation is three processes (or three reloads) of a fleet.
      // The k1 ticket resumes during the overlap. In TLS 1.3 that connection also hands out a
      // fresh ticket (sealed under k2), which resumes after k1 is gone; s2n re-seals nothing in
      // a resumed TLS 1.2 handshake, so there the client keeps its k1 ticket and then starts over.
      expect([connect(rotating, before), connect(rotating, during), connect(rotating, after)]).toEqual([false, true, version === 'TLSv1.3']);
      const stale = client(version);
      expect([connect(stale, before), connect(stale, after)]).toEqual([false, false]);
    });

    it(`${version}: tickets are still issued and resumed long after the listener was compiled (past s2n's 2 + 13 hour key windows)`, () => {
      for (const keys of [undefined, [randomBytes(48)]]) {
        const s = server(version, keys);
        for (const hours of [0, 3, 20, 24 * 365]) {
          s2n().configShiftClockForTests(s.defaultConfig, hours * 3600);
          const c = client(version);
          expect([connect(c, s), connect(c, s)], `${hours} h after compiling, ${keys ? 'shared key' : 'own key'}`).toEqual([false, true]);
        }
      }
    });
  }
});
