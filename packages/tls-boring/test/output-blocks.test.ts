// Output blocks come back (TlsEngine.releaseOutputChunk): testkit's describeOutputBlocks on two
// BoringSSL engines in memory.
import '@proxy/tls-boring';
import { TlsSettings } from '@proxy/core';
import { clientOptions, describeOutputBlocks, testPki } from '@proxy/testkit';
import { expect } from 'vitest';
import { pair, pump } from './support/pump.js';

const pki = testPki();

describeOutputBlocks('BoringSSL', () => {
  const settings = TlsSettings.intermediate(pki.serverEcdsa.chain, pki.serverEcdsa.key).setVersions('TLSv1.3', 'TLSv1.3');
  const { client, server } = pair(settings, clientOptions(pki));
  expect(pump(client, server)).toEqual({});
  expect(client.handshakeDone && server.handshakeDone).toBe(true);
  return { client, server };
});
