import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ConnectionClosedError,
  TlsHandshakeError,
  TlsHandshakeTimeoutError,
  TlsProtocolError,
  TlsSettings,
} from '../src/index.js';
import { EngineTlsConnector } from '../src/tls/engine-acceptor.js';
import type { EngineStream } from '../src/tls/engine-stream.js';
import {
  Cleanup,
  clientOptions,
  connectTcp,
  connectToy,
  rawToyClient,
  readAll,
  sleep,
  startToyServer,
} from './support/engine-harness.js';
import { ALERT_UNEXPECTED_MESSAGE, RecordType, ToyEngine, encodeRecord, xorMask } from './support/toy-engine.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** Settings whose certificate hook picks nothing (the default), plus a digest extension. */
function settings(certificate?: Parameters<typeof TlsSettings.withCallbacks>[0]['certificate']): TlsSettings {
  return TlsSettings.withCallbacks({
    certificate: certificate ?? (() => undefined),
    handshakeComplete: (digest) => ({ seenSni: digest.sni }),
  });
}

/** Resolves once `stream` emitted 'close' (or already had). */
function closed(stream: EngineStream): Promise<unknown> {
  return stream.closed ? Promise.resolve() : once(stream, 'close');
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Writes `data` in `chunkSize` pieces, waiting for 'drain' when write() says so. */
async function writeRespectingBackpressure(stream: EngineStream, data: Buffer, chunkSize = 64 * 1024): Promise<void> {
  for (let offset = 0; offset < data.length; offset += chunkSize) {
    if (!stream.write(data.subarray(offset, offset + chunkSize))) await once(stream, 'drain');
  }
}

describe('EngineStream handshake', () => {
  it('completes on both sides, exchanges data and reports the digest with the handshakeComplete extension', async () => {
    const server = await startToyServer(cleanup, settings(), { askCertificate: true });
    const client = await connectToy(cleanup, server.port, 'api.test');
    const accepted = await server.accepted();

    expect(client.engine.handshakeDone).toBe(true);
    expect(accepted.digest).toMatchObject({ backend: 'pure', cipher: 'TOY_XOR_NOT_SECURE', sni: 'api.test', extension: { seenSni: 'api.test' } });
    expect(client.stream.digest.sni).toBe('api.test');
    expect(client.stream.digest.extension).toBeUndefined();
    expect(server.engines[0]!.certificateSelections).toBe(1);

    client.stream.write('hello');
    const [chunk] = (await once(accepted, 'data')) as [Buffer];
    expect(chunk.toString()).toBe('hello');
    accepted.write('world');
    const [reply] = (await once(client.stream, 'data')) as [Buffer];
    expect(reply.toString()).toBe('world');
  });

  it('sends writes gathered by cork() (the _writev path) in order', async () => {
    const server = await startToyServer(cleanup, settings());
    const client = await connectToy(cleanup, server.port);
    const accepted = await server.accepted();
    const received = readAll(accepted);
    const writev = vi.spyOn(client.stream, '_writev');
    client.stream.cork();
    for (const part of ['one,', 'two,', 'three']) client.stream.write(part);
    client.stream.uncork();
    client.stream.end();
    expect((await received).toString()).toBe('one,two,three');
    expect(writev).toHaveBeenCalledTimes(1);
  });

  it('joins a small corked batch into one engine.send, and sends a large one write by write', async () => {
    const server = await startToyServer(cleanup, settings());
    const client = await connectToy(cleanup, server.port);
    const accepted = await server.accepted();
    const received = readAll(client.stream);
    const engine = server.engines[0]!;
    accepted.cork();
    for (const part of ['one,', 'two,', 'three']) accepted.write(part);
    accepted.uncork();
    const big = [randomBytes(10_000), randomBytes(10_000), randomBytes(10_000)];
    await new Promise<void>((resolve) => setImmediate(resolve));
    accepted.cork();
    for (const part of big) accepted.write(part);
    accepted.uncork();
    accepted.end();
    const all = await received;
    expect(all.subarray(0, 13).toString()).toBe('one,two,three');
    expect(sha256(all.subarray(13))).toBe(sha256(Buffer.concat(big)));
    expect(engine.sends).toEqual([13, 10_000, 10_000, 10_000]);
  });

  it('hands a corked batch to an engine with sendChunks in one call', async () => {
    const server = await startToyServer(cleanup, settings(), { batchedSend: true });
    const client = await connectToy(cleanup, server.port);
    const accepted = await server.accepted();
    const received = readAll(client.stream);
    const engine = server.engines[0]!;
    const parts = [Buffer.from('head,'), randomBytes(40_000), Buffer.from(',tail')];
    accepted.cork();
    for (const part of parts) accepted.write(part);
    accepted.uncork();
    accepted.end();
    expect(sha256(await received)).toBe(sha256(Buffer.concat(parts)));
    expect(engine.chunkBatches).toEqual([3]);
    expect(engine.sends).toEqual([]);
  });

  it('moves 20 MiB from a server engine that hands over its records as a list (pullOutputChunks: one corked writev)', async () => {
    const server = await startToyServer(cleanup, settings(), { chunkedOutput: true });
    const client = await connectToy(cleanup, server.port);
    const accepted = await server.accepted();
    expect(server.engines[0]!.pullOutputChunks).toBeTypeOf('function');
    const down = randomBytes(20 * 1024 * 1024);
    const receivedByClient = readAll(client.stream);
    await writeRespectingBackpressure(accepted, down).then(() => accepted.end());
    const atClient = await receivedByClient;
    expect(atClient.length).toBe(down.length);
    expect(sha256(atClient)).toBe(sha256(down));
    expect(client.stream.truncated).toBe(false);
  });

  it('gives every output chunk back to an engine that recycles them, once each, after the socket wrote it (releaseOutputChunk)', async () => {
    const server = await startToyServer(cleanup, settings(), { chunkedOutput: true, releasedOutput: true });
    const client = await connectToy(cleanup, server.port);
    const accepted = await server.accepted();
    const engine = server.engines[0]!;
    const down = randomBytes(8 * 1024 * 1024);
    const receivedByClient = readAll(client.stream);
    await writeRespectingBackpressure(accepted, down).then(() => accepted.end());
    expect(sha256(await receivedByClient)).toBe(sha256(down));
    const closed = new Promise<void>((resolve) => (accepted.destroyed ? resolve() : accepted.once('close', () => resolve())));
    accepted.resume(); // its readable side ends only once read
    client.stream.end();
    await closed;
    expect(engine.handedOut.length).toBeGreaterThan(8);
    expect(engine.handedOut.filter((chunk) => engine.releases.get(chunk) !== 1)).toEqual([]);
    expect(engine.releases.size).toBe(engine.handedOut.length);
  });

  it('moves 20 MiB each way at once with every byte intact', async () => {
    const server = await startToyServer(cleanup, settings());
    const client = await connectToy(cleanup, server.port);
    const accepted = await server.accepted();
    const up = randomBytes(20 * 1024 * 1024);
    const down = randomBytes(20 * 1024 * 1024);

    const receivedByServer = readAll(accepted);
    const receivedByClient = readAll(client.stream);
    await Promise.all([
      writeRespectingBackpressure(client.stream, up).then(() => client.stream.end()),
      writeRespectingBackpressure(accepted, down).then(() => accepted.end()),
    ]);
    const [atServer, atClient] = await Promise.all([receivedByServer, receivedByClient]);
    expect(atServer.length).toBe(up.length);
    expect(sha256(atServer)).toBe(sha256(up));
    expect(atClient.length).toBe(down.length);
    expect(sha256(atClient)).toBe(sha256(down));
    expect(accepted.truncated).toBe(false);
    expect(client.stream.truncated).toBe(false);
  });
});

describe('EngineStream backpressure', () => {
  it('stops reading the socket when the reader stalls, and the writer stays bounded', async () => {
    const server = await startToyServer(cleanup, settings());
    const client = await connectToy(cleanup, server.port);
    const sender = await server.accepted();
    const chunk = Buffer.alloc(64 * 1024, 0x5a);
    const limit = 512 * 1024 * 1024;
    let written = 0;
    let stop = false;
    let maxStreamQueue = 0;
    let maxSocketQueue = 0;
    const writer = (async () => {
      while (!stop && written < limit) {
        const more = sender.write(chunk);
        written += chunk.length;
        maxStreamQueue = Math.max(maxStreamQueue, sender.writableLength);
        maxSocketQueue = Math.max(maxSocketQueue, sender.socket.writableLength);
        if (!more) await once(sender, 'drain');
      }
      sender.end();
    })();

    // The client reads nothing: wait until its engine has not been fed for two checks in a row.
    let calls = -1;
    for (let i = 0, stable = 0; i < 100 && stable < 2; i++) {
      stable = calls === client.engine.receiveCalls ? stable + 1 : 0;
      calls = client.engine.receiveCalls;
      await sleep(100);
    }
    const stalledAt = written;
    const callsWhilePaused = client.engine.receiveCalls;
    await sleep(300);
    expect(client.engine.receiveCalls).toBe(callsWhilePaused);
    expect(written).toBe(stalledAt);
    expect(written).toBeLessThan(64 * 1024 * 1024);
    // Plaintext buffered for the reader: at most its high-water mark plus one record.
    expect(client.stream.readableLength).toBeLessThanOrEqual(client.stream.readableHighWaterMark + 16 * 1024);
    // The writer's own queue never went past the high-water mark plus the chunk that crossed it.
    expect(maxStreamQueue).toBeLessThanOrEqual(sender.writableHighWaterMark + chunk.length);
    expect(maxSocketQueue).toBeLessThanOrEqual(256 * 1024);

    stop = true;
    const received = await new Promise<number>((resolve, reject) => {
      let count = 0;
      client.stream.on('data', (data: Buffer) => (count += data.length));
      client.stream.on('end', () => resolve(count));
      client.stream.on('error', reject);
    });
    await writer;
    expect(received).toBe(written);
  });
});

describe('EngineStream closing', () => {
  it('half-close: the client ends its side and still reads the reply; both engines are destroyed once', async () => {
    const server = await startToyServer(cleanup, settings());
    const client = await connectToy(cleanup, server.port);
    const accepted = await server.accepted();

    client.stream.end('ping');
    const request = await readAll(accepted);
    expect(request.toString()).toBe('ping');
    expect(accepted.truncated).toBe(false);
    expect(client.stream.socket.writableEnded).toBe(true);

    accepted.end(`pong:${request.toString()}`);
    const reply = await readAll(client.stream);
    expect(reply.toString()).toBe('pong:ping');
    expect(client.stream.truncated).toBe(false);

    await Promise.all([closed(client.stream), closed(accepted)]);
    expect(client.engine.destroyCalls).toBe(1);
    expect(server.engines[0]!.destroyCalls).toBe(1);
  });

  it("the peer's close_notify ends the readable side while TCP stays open", async () => {
    const server = await startToyServer(cleanup, settings());
    const raw = await rawToyClient(cleanup, server.port);
    const accepted = await server.accepted();

    raw.socket.write(Buffer.concat([encodeRecord(RecordType.DATA, xorMask(Buffer.from('last words'), raw.key)), encodeRecord(RecordType.CLOSE_NOTIFY)]));
    const received = await readAll(accepted);
    expect(received.toString()).toBe('last words');
    expect(accepted.truncated).toBe(false);
    expect(raw.socket.readyState).toBe('open');

    // Our side can still answer after the peer's close_notify.
    accepted.end('bye');
    const data = await raw.reader.next(RecordType.DATA);
    expect(Buffer.from(xorMask(data, raw.key)).toString()).toBe('bye');
    await raw.reader.next(RecordType.CLOSE_NOTIFY);
  });

  it('a TCP FIN without close_notify ends the readable side and sets truncated', async () => {
    const server = await startToyServer(cleanup, settings());
    const client = await connectToy(cleanup, server.port);
    const accepted = await server.accepted();

    client.stream.write('partial');
    await once(accepted, 'readable');
    client.stream.socket.end(); // FIN with no close_notify
    const received = await readAll(accepted);
    expect(received.toString()).toBe('partial');
    expect(accepted.truncated).toBe(true);
  });

  it('destroy() destroys the socket and calls engine.destroy exactly once', async () => {
    const server = await startToyServer(cleanup, settings());
    const client = await connectToy(cleanup, server.port);
    const accepted = await server.accepted();

    accepted.destroy();
    accepted.destroy();
    await once(accepted, 'close');
    expect(accepted.socket.destroyed).toBe(true);
    expect(server.engines[0]!.destroyCalls).toBe(1);
    // The client sees the connection go away without close_notify.
    client.stream.resume();
    await once(client.stream, 'end');
    expect(client.stream.truncated).toBe(true);
    client.stream.destroy();
    expect(client.engine.destroyCalls).toBe(1);
  });
});

describe('EngineStream errors', () => {
  it('a fatal engine error flushes the alert to the peer before closing and errors the stream with the typed error', async () => {
    const server = await startToyServer(cleanup, settings());
    const raw = await rawToyClient(cleanup, server.port);
    const accepted = await server.accepted();
    const failed = once(accepted, 'error');

    raw.socket.write(encodeRecord(0xee, Buffer.from('garbage')));
    const alert = await raw.reader.next(RecordType.ALERT);
    expect(alert[0]).toBe(ALERT_UNEXPECTED_MESSAGE);
    const [error] = (await failed) as [TlsProtocolError];
    expect(error).toBeInstanceOf(TlsProtocolError);
    expect(error.code).toBe('TLS_PROTOCOL');
    expect(error.alert).toBe(ALERT_UNEXPECTED_MESSAGE);
    if (!raw.reader.closed) await once(raw.socket, 'close');
    expect(server.engines[0]!.destroyCalls).toBe(1);
  });

  it('a failed handshake rejects accept() with the engine error after sending its alert', async () => {
    const server = await startToyServer(cleanup, settings());
    const socket = await connectTcp(cleanup, server.port);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.write(encodeRecord(0x42));
    await expect(server.accepted()).rejects.toBeInstanceOf(TlsProtocolError);
    await once(socket, 'close');
    expect(Buffer.concat(chunks)).toEqual(encodeRecord(RecordType.ALERT, Uint8Array.of(ALERT_UNEXPECTED_MESSAGE)));
    expect(server.engines[0]!.destroyCalls).toBe(1);
  });

  it('honours closeDelayMs with a timer: the alert leaves at once, the close waits, other timers still fire', async () => {
    const server = await startToyServer(cleanup, settings(), { closeDelayMs: 300 });
    const socket = await connectTcp(cleanup, server.port);
    const started = performance.now();
    const since = (): number => performance.now() - started;
    let alertAt = -1;
    socket.once('data', () => (alertAt = since()));
    let otherTimerAt = -1;
    setTimeout(() => (otherTimerAt = since()), 50);

    socket.write(encodeRecord(0x42));
    const rejectedAt = server.accepted().then(
      () => -1,
      () => since(),
    );
    await once(socket, 'close');
    const closedAt = since();

    expect(alertAt).toBeGreaterThanOrEqual(0);
    expect(alertAt).toBeLessThan(200);
    expect(otherTimerAt).toBeGreaterThanOrEqual(45);
    expect(otherTimerAt).toBeLessThan(250);
    expect(otherTimerAt).toBeLessThan(closedAt);
    expect(closedAt).toBeGreaterThanOrEqual(290);
    expect(await rejectedAt).toBeGreaterThanOrEqual(290);
  });
  it('afterCloseDelay: an alert the engine could only queue after the delay still leaves, before the close', async () => {
    const server = await startToyServer(cleanup, settings(), { closeDelayMs: 300, alertAfterDelay: true });
    const socket = await connectTcp(cleanup, server.port);
    const started = performance.now();
    const chunks: Buffer[] = [];
    let firstDataAt = -1;
    socket.on('data', (chunk: Buffer) => {
      if (firstDataAt < 0) firstDataAt = performance.now() - started;
      chunks.push(chunk);
    });
    socket.write(encodeRecord(0x42));
    await expect(server.accepted()).rejects.toBeInstanceOf(TlsProtocolError);
    await once(socket, 'close');
    expect(firstDataAt).toBeGreaterThanOrEqual(290);
    expect(Buffer.concat(chunks)).toEqual(encodeRecord(RecordType.ALERT, Uint8Array.of(ALERT_UNEXPECTED_MESSAGE)));
    expect(server.engines[0]!.afterCloseDelayCalls).toBe(1);
  });
});

describe('EngineStream timeouts and the certificate callback', () => {
  it('closes a client that sends nothing at the handshake timeout', async () => {
    const server = await startToyServer(cleanup, settings().setHandshakeTimeout(200));
    const socket = await connectTcp(cleanup, server.port);
    const started = Date.now();
    const outcome = server.accepted();
    await expect(outcome).rejects.toBeInstanceOf(TlsHandshakeTimeoutError);
    await expect(outcome).rejects.toMatchObject({ code: 'TLS_HANDSHAKE_TIMEOUT', source: 'downstream' });
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(180);
    expect(elapsed).toBeLessThan(1_500);
    if (!socket.destroyed) await once(socket, 'close');
    expect(server.engines[0]!.destroyCalls).toBe(1);
  });

  it('times out a connector whose server never answers, as an upstream error', async () => {
    const silent = net.createServer((socket) => cleanup.socket(socket));
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    cleanup.add(() => silent.close());
    const port = (silent.address() as net.AddressInfo).port;
    const socket = await connectTcp(cleanup, port);
    let engine: ToyEngine | undefined;
    const connector = new EngineTlsConnector(clientOptions(200), (target) => (engine = new ToyEngine({ side: 'client', serverName: target.sni })));
    await expect(connector.connect(socket, { sni: 'up.test', addr: `127.0.0.1:${port}` })).rejects.toMatchObject({
      code: 'TLS_HANDSHAKE_TIMEOUT',
      source: 'upstream',
      retryable: true,
    });
    expect(socket.destroyed).toBe(true);
    expect(engine!.destroyCalls).toBe(1);
  });

  it('a 300 ms async certificate callback does not delay another connection', async () => {
    const server = await startToyServer(
      cleanup,
      settings(async (hello) => {
        if (hello.serverName === 'slow.test') await sleep(300);
        return undefined;
      }),
      { askCertificate: true },
    );
    const started = Date.now();
    const slow = connectToy(cleanup, server.port, 'slow.test').then(() => Date.now() - started);
    await sleep(20);
    const fast = connectToy(cleanup, server.port, 'fast.test').then(() => Date.now() - started);
    const [slowMs, fastMs] = await Promise.all([slow, fast]);
    expect(fastMs).toBeLessThan(250);
    expect(fastMs).toBeLessThan(slowMs);
    expect(slowMs).toBeGreaterThanOrEqual(290);
    const streams = await Promise.all([server.accepted(0), server.accepted(1)]);
    expect(streams.map((s) => s.digest.sni).sort()).toEqual(['fast.test', 'slow.test']);
  });

  it('keeps input that arrives while the certificate callback runs, in order', async () => {
    const server = await startToyServer(
      cleanup,
      settings(async () => {
        await sleep(150);
        return undefined;
      }),
      { askCertificate: true },
    );
    const socket = await connectTcp(cleanup, server.port);
    socket.write(encodeRecord(RecordType.CLIENT_HELLO, Buffer.from('held.test')));
    await sleep(50);
    socket.write(encodeRecord(RecordType.CLOSE_NOTIFY));
    const accepted = await server.accepted();
    await readAll(accepted);
    expect(accepted.truncated).toBe(false);
    expect(server.engines[0]!.certificateSelections).toBe(1);
  });

  it('a throwing certificate callback fails only that handshake, with a TlsHandshakeError', async () => {
    const server = await startToyServer(
      cleanup,
      settings((hello) => {
        if (hello.serverName === 'bad.test') throw new Error('no such site');
        return undefined;
      }),
      { askCertificate: true },
    );
    const bad = connectToy(cleanup, server.port, 'bad.test', clientOptions(2_000));
    bad.catch(() => undefined);
    await expect(server.accepted(0)).rejects.toSatisfy(
      (error: unknown) => error instanceof TlsHandshakeError && /certificate callback failed: no such site/.test(error.message),
    );
    await expect(bad).rejects.toSatisfy(
      (error: unknown) => error instanceof TlsHandshakeError || error instanceof ConnectionClosedError,
    );
    const good = await connectToy(cleanup, server.port, 'good.test');
    expect(good.stream.digest.sni).toBe('good.test');
    expect((await server.accepted(1)).digest.sni).toBe('good.test');
  });
});

describe('EngineStream as a socket', () => {
  it("carries Node's http server (emit('connection')) end to end, closing with close_notify", async () => {
    const server = await startToyServer(cleanup, settings());
    const client = await connectToy(cleanup, server.port);
    const accepted = await server.accepted();
    const httpServer = http.createServer((req, res) => res.end(`hi ${req.url} over ${req.socket.remoteAddress}`));
    httpServer.emit('connection', accepted);

    client.stream.write('GET /x HTTP/1.1\r\nHost: toy.test\r\nConnection: close\r\n\r\n');
    const response = (await readAll(client.stream)).toString();
    expect(response).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(response).toContain('hi /x over 127.0.0.1');
    expect(client.stream.truncated).toBe(false);
  });

  it('exposes the socket-like surface: addresses, encrypted, alpnProtocol, setTimeout', async () => {
    const server = await startToyServer(cleanup, settings());
    const client = await connectToy(cleanup, server.port);
    const accepted = await server.accepted();
    expect(accepted.encrypted).toBe(true);
    expect(accepted.alpnProtocol).toBe(false);
    expect(accepted.remoteAddress).toBe('127.0.0.1');
    expect(accepted.remotePort).toBe(client.stream.localPort);
    expect(accepted.localPort).toBe(server.port);

    const started = performance.now();
    await new Promise<void>((resolve) => accepted.setTimeout(100, resolve));
    expect(performance.now() - started).toBeGreaterThanOrEqual(90);
    accepted.setTimeout(0);
    expect(accepted.destroyed).toBe(false);
  });

  it('a connection reset during the handshake rejects accept() with a TlsHandshakeError', async () => {
    const server = await startToyServer(cleanup, settings());
    const socket = await connectTcp(cleanup, server.port);
    socket.write(encodeRecord(RecordType.CLIENT_HELLO, Buffer.from('x')).subarray(0, 3));
    await sleep(20);
    socket.resetAndDestroy();
    const error = await server.accepted().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TlsHandshakeError);
    expect(error).toMatchObject({ code: 'TLS_HANDSHAKE', source: 'downstream' });
    expect(server.engines[0]!.destroyCalls).toBe(1);
  });
});
