// An engine that recycles its output (TlsEngine.releaseOutputChunk): the records of a bulk write
// leave in views over the engine's blocks, and a block the socket is done with carries later
// records, so bulk output creates no new buffer per block (V8 counts each one as external
// memory and answers a stream of them with mark-compacts). What must never happen: a block
// handed out again while the socket still holds it, or twice at once after a double release.
import { randomBytes } from 'node:crypto';
import type { TlsEngine } from '@proxy/core';
import { describe, expect, it } from 'vitest';

/** A client and a server engine of the backend under test, their handshake done. */
export type ConnectedEngines = () => { client: TlsEngine; server: TlsEngine };

/** Moves every queued record between two engines until neither has output. */
export function pumpEngines(client: TlsEngine, server: TlsEngine): void {
  for (let rounds = 0; rounds < 20; rounds++) {
    let moved = false;
    for (const chunk of client.pullOutputChunks?.() ?? []) {
      moved = true;
      server.receive(chunk);
    }
    for (const chunk of server.pullOutputChunks?.() ?? []) {
      moved = true;
      client.receive(chunk);
    }
    if (!moved) return;
  }
}

function plaintextOf(engine: TlsEngine): Buffer {
  const parts: Buffer[] = [];
  for (let p = engine.pullPlaintext(); p; p = engine.pullPlaintext()) parts.push(Buffer.from(p));
  return Buffer.concat(parts);
}

/** The output-block cases against one backend's engines (`name` only labels them). */
export function describeOutputBlocks(name: string, connected: ConnectedEngines): void {
  const sealed = (engine: TlsEngine, bytes: number): Uint8Array => {
    engine.send(randomBytes(bytes));
    const chunks = engine.pullOutputChunks!();
    expect(chunks).toHaveLength(1);
    return chunks[0]!;
  };

  describe(`${name} engine output blocks`, () => {
    it('a released block carries the next records; one the socket still holds is never handed out again', () => {
      const { client, server } = connected();
      expect(typeof server.releaseOutputChunk).toBe('function');
      const first = randomBytes(64 * 1024);
      server.send(first);
      const [held] = server.pullOutputChunks!();
      expect(Buffer.isBuffer(held)).toBe(false); // a view over a block, not a copy
      const heldCopy = Buffer.from(held!);

      const second = randomBytes(64 * 1024);
      server.send(second);
      const [other] = server.pullOutputChunks!();
      expect(other!.buffer).not.toBe(held!.buffer); // `held` was not released: a new block
      client.receive(held!);
      client.receive(other!);
      expect(plaintextOf(client).equals(Buffer.concat([first, second]))).toBe(true);

      server.releaseOutputChunk!(other!);
      server.releaseOutputChunk!(other!); // twice: ignored, or two writes would share one block
      expect(sealed(server, 64 * 1024).buffer).toBe(other!.buffer);
      expect(sealed(server, 64 * 1024).buffer).not.toBe(other!.buffer);
      expect(Buffer.from(held!).equals(heldCopy)).toBe(true); // nothing wrote over the held block
      server.releaseOutputChunk!(Buffer.from('not a block')); // ignored
      const foreign = new Uint8Array(80 * 1024); // an ArrayBuffer the engine did not make: ignored
      server.releaseOutputChunk!(foreign);
      expect(sealed(server, 64 * 1024).buffer).not.toBe(foreign.buffer);
      client.destroy();
      server.destroy();
    });

    it('20 MiB through a pair of engines, every chunk released as soon as it is read: every byte intact', () => {
      const { client, server } = connected();
      const sent: Buffer[] = [];
      const received: Buffer[] = [];
      for (let i = 0; i < 320; i++) {
        const data = randomBytes(64 * 1024);
        sent.push(data);
        server.send(data);
        for (const chunk of server.pullOutputChunks!()) {
          client.receive(chunk);
          server.releaseOutputChunk!(chunk);
        }
        received.push(plaintextOf(client));
      }
      expect(Buffer.concat(received).equals(Buffer.concat(sent))).toBe(true);
      client.destroy();
      server.destroy();
    });
  });
}
