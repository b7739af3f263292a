/**
 * TEST-ONLY helpers for EngineStream tests: loopback servers and clients around the toy engine,
 * and a raw-socket peer that speaks the toy protocol by hand.
 */
import net from 'node:net';
import { once } from 'node:events';
import type { Duplex } from 'node:stream';
import { connectionInfo, tlsClientOptions, type TlsClientOptions, type TlsSettings } from '../../src/index.js';
import { EngineTlsAcceptor, EngineTlsConnector } from '../../src/tls/engine-acceptor.js';
import type { EngineStream } from '../../src/tls/engine-stream.js';
import { HEADER_LENGTH, KEY_LENGTH, RecordType, ToyEngine, encodeRecord, type ToyEngineOptions } from './toy-engine.js';

/** Everything a test opened, closed in afterEach. */
export class Cleanup {
  private readonly closers: Array<() => void> = [];
  add(closer: () => void): void {
    this.closers.push(closer);
  }
  socket<T extends net.Socket | Duplex>(socket: T): T {
    this.add(() => socket.destroy());
    return socket;
  }
  run(): void {
    for (const close of this.closers.splice(0).reverse()) close();
  }
}

export interface ToyServer {
  port: number;
  /** Server engines, in connection order. */
  engines: ToyEngine[];
  /** The accept() outcome of the i-th connection (0-based). */
  accepted(index?: number): Promise<EngineStream>;
}

/** A loopback server running EngineTlsAcceptor over toy engines. */
export async function startToyServer(
  cleanup: Cleanup,
  settings: TlsSettings,
  engineOptions: Omit<ToyEngineOptions, 'side'> = {},
): Promise<ToyServer> {
  const engines: ToyEngine[] = [];
  const acceptor = new EngineTlsAcceptor(settings, (conn) => {
    const engine = new ToyEngine({ ...engineOptions, side: 'server', peerAddr: conn.peerAddr });
    engines.push(engine);
    return engine;
  });
  const outcomes: Array<Promise<EngineStream>> = [];
  const resolvers: Array<(p: Promise<EngineStream>) => void> = [];
  const slot = (i: number): Promise<EngineStream> => {
    if (!outcomes[i]) {
      outcomes[i] = new Promise<Promise<EngineStream>>((resolve) => (resolvers[i] = resolve)).then((p) => p);
      // Tests that do not look at an outcome must not trip the unhandled-rejection check.
      outcomes[i]!.catch(() => undefined);
    }
    return outcomes[i]!;
  };
  let connections = 0;
  // Paused, as core's Listener hands sockets over (it runs the connection filter first).
  const server = net.createServer({ pauseOnConnect: true }, (socket) => {
    cleanup.socket(socket);
    const index = connections++;
    slot(index);
    const conn = connectionInfo(socket);
    const outcome = acceptor.accept(socket, conn) as Promise<EngineStream>;
    outcome.then((stream) => cleanup.socket(stream), () => undefined);
    resolvers[index]!(outcome);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanup.add(() => server.close());
  const port = (server.address() as net.AddressInfo).port;
  return { port, engines, accepted: (index = 0) => slot(index) };
}

export function clientOptions(handshakeTimeoutMs: number | undefined = 5_000): TlsClientOptions {
  return tlsClientOptions({ verifyCert: false, verifyHostname: false, handshakeTimeoutMs });
}

export async function connectTcp(cleanup: Cleanup, port: number): Promise<net.Socket> {
  const socket = cleanup.socket(net.connect(port, '127.0.0.1'));
  await once(socket, 'connect');
  return socket;
}

/** Connects with EngineTlsConnector over a toy client engine. */
export async function connectToy(
  cleanup: Cleanup,
  port: number,
  sni = 'toy.test',
  options: TlsClientOptions = clientOptions(),
): Promise<{ stream: EngineStream; engine: ToyEngine }> {
  let engine: ToyEngine | undefined;
  const connector = new EngineTlsConnector(options, (target) => (engine = new ToyEngine({ side: 'client', serverName: target.sni })));
  const socket = await connectTcp(cleanup, port);
  const stream = cleanup.socket((await connector.connect(socket, { sni, addr: `127.0.0.1:${port}` })) as EngineStream);
  return { stream, engine: engine! };
}

/** Splits a raw byte stream into toy records. */
export class RecordReader {
  private buffer = Buffer.alloc(0);
  readonly records: Array<{ type: number; payload: Buffer }> = [];
  private waiter: (() => void) | undefined;
  closed = false;

  constructor(socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      while (this.buffer.length >= HEADER_LENGTH) {
        const length = this.buffer.readUInt32BE(1);
        if (this.buffer.length < HEADER_LENGTH + length) break;
        this.records.push({ type: this.buffer[0]!, payload: Buffer.from(this.buffer.subarray(HEADER_LENGTH, HEADER_LENGTH + length)) });
        this.buffer = this.buffer.subarray(HEADER_LENGTH + length);
      }
      this.waiter?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiter?.();
    });
  }

  /** Resolves with the first record of `type` (waiting for it), or rejects when the socket closes first. */
  async next(type: number): Promise<Buffer> {
    for (;;) {
      const found = this.records.find((r) => r.type === type);
      if (found) return found.payload;
      if (this.closed) throw new Error(`socket closed before a record of type ${type}`);
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }
}

/** A peer that speaks the toy protocol by hand, to send what a well-behaved engine never would. */
export async function rawToyClient(cleanup: Cleanup, port: number, sni = 'raw.test'): Promise<{ socket: net.Socket; reader: RecordReader; key: Buffer }> {
  const socket = await connectTcp(cleanup, port);
  const reader = new RecordReader(socket);
  socket.write(encodeRecord(RecordType.CLIENT_HELLO, Buffer.from(sni)));
  const key = await reader.next(RecordType.SERVER_HELLO);
  if (key.length !== KEY_LENGTH) throw new Error('bad toy key');
  return { socket, reader, key };
}

/** Collects a readable side to its end. */
export async function readAll(stream: Duplex): Promise<Buffer> {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  await once(stream, 'end');
  return Buffer.concat(chunks);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
