// Output blocks come back (TlsEngine.releaseOutputChunk): testkit's describeOutputBlocks on two
// s2n engines in memory.
import '@proxy/tls-s2n';
import { TlsSettings } from '@proxy/core';
import { compileClient, compileServer, newServerEngine } from '@proxy/tls-s2n';
import { clientOptions, describeOutputBlocks, pumpEngines, testPki } from '@proxy/testkit';
import { expect } from 'vitest';

const pki = testPki();

describeOutputBlocks('s2n', () => {
  const settings = TlsSettings.intermediate(pki.serverEcdsa.chain, pki.serverEcdsa.key).setVersions('TLSv1.3', 'TLSv1.3');
  const server = newServerEngine(compileServer(settings), '127.0.0.1:1234');
  const client = compileClient(clientOptions(pki)).engine({ sni: 'localhost', addr: '127.0.0.1:443' });
  client.start();
  pumpEngines(client, server);
  expect(client.handshakeDone && server.handshakeDone).toBe(true);
  return { client, server };
});
