// Engine fuzz in memory (no sockets): thousands of malformed and truncated records into s2n
// engines, fixed seed, bounded. Whatever s2n makes of them, what escapes is a typed
// TlsHandshakeError, and the process carries on.
import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import '@proxy/tls-s2n';
import { TlsHandshakeError, TlsSettings, tlsClientOptions, type TlsEngine } from '@proxy/core';
import { testPki } from '@proxy/testkit';
import { compileClient, compileServer, newServerEngine } from '@proxy/tls-s2n';

/** xorshift32: a fixed seed makes every run the same run. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

function mutate(input: Uint8Array, r: () => number): Uint8Array {
  const b = Array.from(input);
  const edits = 1 + (r() % 4);
  for (let i = 0; i < edits; i++) {
    const op = r() % 5;
    const at = b.length ? r() % b.length : 0;
    if (op === 0 && b.length) b[at] = r() & 0xff;
    else if (op === 1 && b.length) b[at]! ^= 1 << (r() % 8);
    else if (op === 2) b.length = at;
    else if (op === 3) b.splice(at, 0, ...Array.from({ length: 1 + (r() % 8) }, () => r() & 0xff));
    else if (b.length > 1) b[at] = 0xff;
  }
  return Uint8Array.from(b);
}

/** Runs `fn`; anything thrown must be one of our typed TLS errors. */
function outcome(fn: () => void): 'ok' | 'tls-error' {
  try {
    fn();
    return 'ok';
  } catch (e) {
    if (!(e instanceof TlsHandshakeError)) throw new Error(`untyped error escaped: ${(e as Error)?.stack ?? String(e)}`);
    return 'tls-error';
  }
}

function drain(engine: TlsEngine): Buffer {
  const out: Uint8Array[] = [];
  for (let o = engine.pullOutput(); o; o = engine.pullOutput()) out.push(o);
  return Buffer.concat(out);
}

const pki = testPki();
const serverCtx = compileServer(TlsSettings.intermediate(pki.serverEcdsa.chain, pki.serverEcdsa.key));
const clientCtx = compileClient(tlsClientOptions({ ca: [new X509Certificate(pki.caPem)], caPem: pki.caPem }));
const target = { sni: 'localhost', addr: '127.0.0.1:443' };

function clientHello(): { client: TlsEngine; hello: Buffer } {
  const client = clientCtx.engine(target);
  client.start();
  return { client, hello: drain(client) };
}

describe('fuzz (fixed seed, bounded)', () => {
  it('an unmodified exchange completes in memory (the harness is sound)', () => {
    const { client, hello } = clientHello();
    const server = newServerEngine(serverCtx);
    server.receive(hello);
    client.receive(drain(server));
    server.receive(drain(client));
    expect(client.handshakeDone && server.handshakeDone).toBe(true);
    client.send(Buffer.from('ping'));
    server.receive(drain(client));
    expect(Buffer.from(server.pullPlaintext()!).toString()).toBe('ping');
    client.destroy();
    server.destroy();
  });

  it('2000 mutated ClientHellos into server engines: only typed errors', () => {
    const r = rng(0x5eed1);
    const { client, hello } = clientHello();
    client.destroy();
    let errors = 0;
    for (let i = 0; i < 2000; i++) {
      const server = newServerEngine(serverCtx);
      if (outcome(() => server.receive(mutate(hello, r))) === 'tls-error') errors++;
      server.destroy();
    }
    expect(errors).toBeGreaterThan(500);
  });

  it('every truncation of a ClientHello: the server waits for more, and never fails untyped', () => {
    const { client, hello } = clientHello();
    client.destroy();
    for (let n = 0; n < hello.length; n++) {
      const server = newServerEngine(serverCtx);
      expect(outcome(() => server.receive(hello.subarray(0, n)))).toBe('ok');
      expect(server.handshakeDone).toBe(false);
      server.destroy();
    }
  });

  it('1000 mutated server flights into client engines: only typed errors', () => {
    const r = rng(0x5eed2);
    let errors = 0;
    for (let i = 0; i < 1000; i++) {
      const { client, hello } = clientHello();
      const server = newServerEngine(serverCtx);
      server.receive(hello);
      const flight = drain(server);
      if (outcome(() => client.receive(mutate(flight, r))) === 'tls-error') errors++;
      client.destroy();
      server.destroy();
    }
    expect(errors).toBeGreaterThan(300);
  });

  it('2000 random records of every content type after the handshake: only typed errors', () => {
    const r = rng(0x5eed3);
    let errors = 0;
    for (let i = 0; i < 2000; i++) {
      const { client, hello } = clientHello();
      const server = newServerEngine(serverCtx);
      server.receive(hello);
      client.receive(drain(server));
      server.receive(drain(client));
      const length = r() % 64;
      const record = Buffer.alloc(5 + length);
      record[0] = 20 + (r() % 5);
      record[1] = 3;
      record[2] = r() % 5;
      record.writeUInt16BE(length, 3);
      for (let j = 0; j < length; j++) record[5 + j] = r() & 0xff;
      const victim = i % 2 === 0 ? server : client;
      if (outcome(() => victim.receive(record)) === 'tls-error') errors++;
      client.destroy();
      server.destroy();
    }
    expect(errors).toBeGreaterThan(1000);
  });
});
