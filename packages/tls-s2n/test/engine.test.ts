// The engine in memory, client and server both s2n: how its output and plaintext cross into
// JavaScript (one Buffer per call, not one per record) and batches of writes (sendChunks).
import '@proxy/tls-s2n';
import { randomBytes } from 'node:crypto';
import type { S2nEngine } from '@proxy/tls-s2n';
import { connected } from './support/connected.js';
import { describe, expect, it } from 'vitest';

function drain(engine: S2nEngine): Buffer[] {
  const out: Buffer[] = [];
  for (let p = engine.pullPlaintext(); p; p = engine.pullPlaintext()) out.push(Buffer.from(p));
  return out;
}

/** TLS 1.3 record overhead: 5 bytes of header, the content type byte, a 16-byte tag. */
const RECORD_OVERHEAD = 22;

describe('s2n engine in memory', () => {
  it('a batch of small writes is one record', () => {
    const { client, server } = connected();
    client.sendChunks([Buffer.from('GET / HTTP/1.1\r\n'), Buffer.from('Host: a\r\n'), Buffer.from('\r\n')]);
    const out = client.pullOutputChunks();
    expect(out).toHaveLength(1);
    expect(out[0]!.length).toBe(27 + RECORD_OVERHEAD);
    server.receive(out[0]!);
    expect(Buffer.concat(drain(server)).toString()).toBe('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    client.destroy();
    server.destroy();
  });

  it('bulk: one Buffer per 80 KiB of records each way, plaintext handed out a record (16 KiB) at a time, every byte intact', () => {
    const { client, server } = connected();
    const parts = [Buffer.from('head'), randomBytes(200 * 1024), Buffer.from('tail')];
    const sent = Buffer.concat(parts);
    client.sendChunks(parts);
    const out = client.pullOutputChunks();
    const records = Math.ceil(sent.length / 16384);
    const total = out.reduce((n, b) => n + b.length, 0);
    expect(total).toBe(sent.length + records * RECORD_OVERHEAD);
    expect(out).toHaveLength(Math.ceil(total / (80 * 1024)));
    server.receive(Buffer.concat(out));
    const received = drain(server);
    expect(Math.max(...received.map((b) => b.length))).toBeLessThanOrEqual(16384);
    expect(Buffer.concat(received).equals(sent)).toBe(true);
    // And single writes of every size on the way back, several in a row before a pull.
    const back: Buffer[] = [];
    for (const size of [1, 16383, 16384, 16385, 81920, 81921, 300_000]) {
      const b = randomBytes(size);
      back.push(b);
      server.send(b);
    }
    for (const chunk of server.pullOutputChunks()) client.receive(chunk);
    expect(Buffer.concat(drain(client)).equals(Buffer.concat(back))).toBe(true);
    client.destroy();
    server.destroy();
  });
});
