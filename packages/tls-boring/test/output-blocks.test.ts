// Output blocks come back: the records of a bulk write leave in views over the addon's blocks,
// and a block the socket is done with (releaseOutputChunk) carries the next records, so bulk
// output creates no new buffer per block (V8 counts each one as external memory).
import '@proxy/tls-boring';
import { randomBytes } from 'node:crypto';
import { TlsSettings } from '@proxy/core';
import { compileClient, compileServer, newClientEngine, newServerEngine, type BoringEngine } from '@proxy/tls-boring';
import { clientOptions, testPki } from '@proxy/testkit';
import { describe, expect, it } from 'vitest';

const pki = testPki();

function pump(client: BoringEngine, server: BoringEngine): void {
  for (let rounds = 0; rounds < 20; rounds++) {
    let moved = false;
    for (const chunk of client.pullOutputChunks()) (moved = true), server.receive(chunk);
    for (const chunk of server.pullOutputChunks()) (moved = true), client.receive(chunk);
    if (!moved) return;
  }
}

function connected(): { client: BoringEngine; server: BoringEngine } {
  const settings = TlsSettings.intermediate(pki.serverEcdsa.chain, pki.serverEcdsa.key).setVersions('TLSv1.3', 'TLSv1.3');
  const server = newServerEngine(compileServer(settings), '127.0.0.1:1234');
  const client = newClientEngine(compileClient(clientOptions(pki)), { sni: 'localhost', addr: '127.0.0.1:443' });
  client.start();
  pump(client, server);
  expect(client.handshakeDone && server.handshakeDone).toBe(true);
  return { client, server };
}

function plaintextOf(engine: BoringEngine): Buffer {
  const parts: Buffer[] = [];
  for (let p = engine.pullPlaintext(); p; p = engine.pullPlaintext()) parts.push(Buffer.from(p));
  return Buffer.concat(parts);
}

describe('BoringSSL engine output blocks', () => {
  it('a released block carries the next records; one still held by the socket is never handed out again', () => {
    const { client, server } = connected();
    const first = randomBytes(64 * 1024);
    server.send(first);
    const [held] = server.pullOutputChunks();
    expect(held).toBeDefined();
    expect(Buffer.isBuffer(held)).toBe(false); // a view over a block, not a copy
    const heldCopy = Buffer.from(held!);

    const second = randomBytes(64 * 1024);
    server.send(second);
    const [other] = server.pullOutputChunks();
    expect(other!.buffer).not.toBe(held!.buffer); // `held` was not released: a new block
    client.receive(held!);
    client.receive(other!);
    expect(plaintextOf(client).equals(Buffer.concat([first, second]))).toBe(true);

    server.releaseOutputChunk(other!);
    server.releaseOutputChunk(other!); // twice: ignored, or two writes would share one block
    server.send(randomBytes(64 * 1024));
    const [reused] = server.pullOutputChunks();
    expect(reused!.buffer).toBe(other!.buffer);
    server.send(randomBytes(64 * 1024));
    const [fresh] = server.pullOutputChunks();
    expect(fresh!.buffer).not.toBe(other!.buffer); // the double release did not put it back twice
    expect(Buffer.from(held!).equals(heldCopy)).toBe(true); // nothing wrote over the held block
    server.releaseOutputChunk(Buffer.from('not a block')); // ignored
    server.releaseOutputChunk(new Uint8Array(80 * 1024)); // an untagged ArrayBuffer: ignored
    client.destroy();
    server.destroy();
  });

  it('20 MiB through a pair of engines releasing every chunk: every byte intact', () => {
    const { client, server } = connected();
    const sent: Buffer[] = [];
    const received: Buffer[] = [];
    for (let i = 0; i < 320; i++) {
      const data = randomBytes(64 * 1024);
      sent.push(data);
      server.send(data);
      for (const chunk of server.pullOutputChunks()) {
        client.receive(chunk);
        server.releaseOutputChunk(chunk);
      }
      received.push(plaintextOf(client));
    }
    expect(Buffer.concat(received).equals(Buffer.concat(sent))).toBe(true);
    client.destroy();
    server.destroy();
  });
});
