import type { Socket } from 'node:net';
import { ProxyError, TlsHandshakeError, type ErrorSource } from '../errors/index.js';
import type { ConnectTarget, ConnectionInfo, TlsAcceptor, TlsClientOptions, TlsConnector, TlsStream } from './backend.js';
import type { TlsEngine } from './engine.js';
import { EngineStream, handshake } from './engine-stream.js';
import type { TlsSettings } from './settings.js';

/**
 * A TlsAcceptor for sans-IO backends: the backend supplies only `newEngine`; the stream,
 * certificate callback, handshakeComplete hook and handshake timeout are core's.
 */
export class EngineTlsAcceptor implements TlsAcceptor {
  constructor(
    readonly settings: TlsSettings,
    private readonly newEngine: (conn: ConnectionInfo) => TlsEngine,
  ) {}

  async accept(socket: Socket, conn: ConnectionInfo): Promise<TlsStream> {
    const engine = startEngine(socket, 'downstream', () => this.newEngine(conn));
    const stream = new EngineStream(socket, engine, { source: 'downstream', callbacks: this.settings.callbacks });
    await handshake(stream, this.settings.handshakeTimeoutMs, 'downstream');
    return stream;
  }
}

/** A TlsConnector for sans-IO backends; `newEngine` builds a client engine for one upstream. */
export class EngineTlsConnector implements TlsConnector {
  constructor(
    readonly options: TlsClientOptions,
    private readonly newEngine: (target: ConnectTarget) => TlsEngine,
  ) {}

  async connect(socket: Socket, target: ConnectTarget): Promise<TlsStream> {
    const engine = startEngine(socket, 'upstream', () => this.newEngine(target));
    const stream = new EngineStream(socket, engine, { source: 'upstream' });
    await handshake(stream, this.options.handshakeTimeoutMs, 'upstream');
    return stream;
  }
}

/** Builds and starts an engine; on failure nothing is left open (socket destroyed, engine freed). */
function startEngine(socket: Socket, source: ErrorSource, create: () => TlsEngine): TlsEngine {
  let engine: TlsEngine | undefined;
  try {
    engine = create();
    engine.start();
    return engine;
  } catch (error) {
    socket.destroy();
    engine?.destroy();
    if (error instanceof ProxyError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new TlsHandshakeError(`could not start the TLS engine: ${message}`, { source, cause: error });
  }
}
