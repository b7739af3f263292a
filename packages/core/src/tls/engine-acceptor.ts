import type { Socket } from 'node:net';
import { ProxyError, TlsHandshakeError } from '../errors/index.js';
import type { ConnectTarget, ConnectionInfo, TlsAcceptor, TlsClientOptions, TlsConnector, TlsStream } from './backend.js';
import type { TlsEngine } from './engine.js';
import type { ClientHello } from './client-hello.js';
import { EngineStream, handshake } from './engine-stream.js';
import type { TlsCallbacks, TlsSettings } from './settings.js';

/**
 * A TlsAcceptor for sans-IO backends: the backend supplies only `newEngine`; the stream,
 * certificate callback, handshakeComplete hook and handshake timeout are core's.
 */
export class EngineTlsAcceptor implements TlsAcceptor {
  constructor(
    readonly settings: TlsSettings,
    private readonly newEngine: (conn: ConnectionInfo) => TlsEngine,
  ) {}

  accept(socket: Socket, conn: ConnectionInfo): Promise<TlsStream> {
    return openEngineStream(socket, 'downstream', () => this.newEngine(conn), this.settings.handshakeTimeoutMs, this.settings.callbacks, conn.clientHello);
  }
}

/** A TlsConnector for sans-IO backends; `newEngine` builds a client engine for one upstream. */
export class EngineTlsConnector implements TlsConnector {
  constructor(
    readonly options: TlsClientOptions,
    private readonly newEngine: (target: ConnectTarget) => TlsEngine,
  ) {}

  connect(socket: Socket, target: ConnectTarget): Promise<TlsStream> {
    return openEngineStream(socket, 'upstream', () => this.newEngine(target), this.options.handshakeTimeoutMs, undefined);
  }
}

/**
 * Builds and starts an engine, wraps it in an EngineStream and runs the handshake. When the
 * engine cannot be built or started, nothing is left open (socket destroyed, engine freed).
 */
async function openEngineStream(
  socket: Socket,
  source: 'downstream' | 'upstream',
  create: () => TlsEngine,
  handshakeTimeoutMs: number | undefined,
  callbacks: TlsCallbacks | undefined,
  clientHello?: ClientHello,
): Promise<TlsStream> {
  let engine: TlsEngine | undefined;
  try {
    engine = create();
    engine.start();
  } catch (error) {
    socket.destroy();
    engine?.destroy();
    if (error instanceof ProxyError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new TlsHandshakeError(`could not start the TLS engine: ${message}`, { source, cause: error });
  }
  const stream = new EngineStream(socket, engine, { source, callbacks, clientHello });
  await handshake(stream, handshakeTimeoutMs, source);
  return stream;
}
