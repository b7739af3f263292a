// Two s2n engines in memory, TLS 1.3 over the test PKI's ECDSA certificate, handshake done.
import '@proxy/tls-s2n';
import { TlsSettings } from '@proxy/core';
import { compileClient, compileServer, newServerEngine, type S2nEngine } from '@proxy/tls-s2n';
import { clientOptions, pumpEngines, testPki } from '@proxy/testkit';
import { expect } from 'vitest';

const pki = testPki();

export function connected(): { client: S2nEngine; server: S2nEngine } {
  const settings = TlsSettings.intermediate(pki.serverEcdsa.chain, pki.serverEcdsa.key).setVersions('TLSv1.3', 'TLSv1.3');
  const server = newServerEngine(compileServer(settings), '127.0.0.1:1234');
  const client = compileClient(clientOptions(pki)).engine({ sni: 'localhost', addr: '127.0.0.1:443' });
  client.start();
  pumpEngines(client, server);
  expect(client.handshakeDone && server.handshakeDone).toBe(true);
  return { client, server };
}
