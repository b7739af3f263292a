import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import {
  ConnectionClosedError,
  ProxyError,
  TlsHandshakeError,
  TlsHandshakeTimeoutError,
  type ErrorSource,
} from '../errors/index.js';
import type { TlsStream } from './backend.js';
import type { SslDigest } from './digest.js';
import type { TlsEngine } from './engine.js';
import type { ClientHelloInfo, TlsCallbacks } from './settings.js';
import type { ClientHello } from './client-hello.js';

export interface EngineStreamOptions {
  /** Which side of the proxy the peer is on, for errors. Default: server engines 'downstream', client engines 'upstream'. */
  source?: ErrorSource;
  /** Server side: the settings' certificate and handshakeComplete hooks. */
  callbacks?: TlsCallbacks;
  /** Server side: the ClientHello core parsed before the engine ran (for the certificate hook and the digest). */
  clientHello?: ClientHello | undefined;
  /** Plaintext buffered for the reader before the socket is paused. Default: Node's (16 KiB). */
  readableHighWaterMark?: number;
  /** Plaintext accepted from the writer before write() returns false. Default: Node's (16 KiB). */
  writableHighWaterMark?: number;
}

/** The largest batch of writes _writev joins into one engine.send (one TLS record's plaintext). */
const JOIN_LIMIT = 16384;

type HandshakeListener = (error: Error | undefined) => void;

/**
 * The one Duplex adapter over a sans-IO TlsEngine: socket bytes go into the engine, its
 * ciphertext goes back out, its plaintext comes out of this stream. Every non-OpenSSL backend
 * uses it, so backpressure, close_notify, half-close, certificate selection and fatal-error
 * handling live in one place.
 *
 * Run `handshake()` on a new stream before handing it out; until then nothing is read.
 */
export class EngineStream extends Duplex implements TlsStream {
  readonly socket: Socket;
  readonly engine: TlsEngine;
  readonly source: ErrorSource;
  /**
   * The peer closed TCP without sending close_notify first. The readable side still ends
   * normally; whether that lost data is for the protocol above to decide (HTTP framing knows).
   */
  truncated = false;

  private readonly callbacks: TlsCallbacks;
  private readonly clientHello: ClientHello | undefined;
  private started = false;
  private handshakeFinished = false;
  private handshakeListener: HandshakeListener | undefined;
  private handshakeOutcome: { error: Error | undefined } | undefined;
  private cachedDigest: SslDigest | undefined;

  /** Paused because the reader is not keeping up (push() returned false). */
  private pausedForReader = false;
  /** Paused while the certificate callback runs; input that arrived meanwhile waits here. */
  private pausedForCertificate = false;
  private heldInput: Buffer[] = [];
  /** The ClientHello last answered with selectCertificate. */
  private answeredHello: ClientHelloInfo | undefined;

  /** The peer is done sending (close_notify or FIN); end the readable side once plaintext is drained. */
  private peerDone = false;
  private endPushed = false;
  private socketEnded = false;

  /** A _write callback waiting for the socket to drain. */
  private pendingWriteCallback: ((error?: Error | null) => void) | undefined;
  /** The _final callback waiting for the socket to flush its last bytes. */
  private pendingFinalCallback: ((error?: Error | null) => void) | undefined;
  private failing = false;
  /** The failure path owns the socket's closing (after the alert is flushed). */
  private socketClosingAfterFailure = false;
  private closeDelayTimer: NodeJS.Timeout | undefined;
  private engineDestroyed = false;
  private forwardingTimeout = false;

  constructor(socket: Socket, engine: TlsEngine, options: EngineStreamOptions = {}) {
    super({
      // The reader decides when to end its own side; the peer's close_notify must not close ours.
      allowHalfOpen: true,
      readableHighWaterMark: options.readableHighWaterMark,
      writableHighWaterMark: options.writableHighWaterMark,
    });
    this.socket = socket;
    this.engine = engine;
    this.source = options.source ?? (engine.side === 'server' ? 'downstream' : 'upstream');
    this.callbacks = options.callbacks ?? {};
    this.clientHello = options.clientHello;
    // TLS half-close is close_notify plus FIN; the socket must not answer the peer's FIN with
    // its own while we may still have a reply to send.
    socket.allowHalfOpen = true;
  }

  /** What the handshake negotiated, with `extension` from the handshakeComplete callback. */
  get digest(): SslDigest {
    if (this.cachedDigest) return this.cachedDigest;
    // Before the handshake the engine's answer is all there is; do not cache a partial digest.
    return this.engine.digest();
  }

  // ---- the parts of the net.Socket / TLSSocket surface that HTTP servers and clients probe ----

  /** Always true: like TLSSocket, so code that checks `encrypted` (e.g. for "https") sees TLS. */
  get encrypted(): true {
    return true;
  }

  /** The negotiated ALPN protocol, or false: TLSSocket's shape. */
  get alpnProtocol(): string | false {
    return this.cachedDigest?.alpn ?? false;
  }

  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }

  get remotePort(): number | undefined {
    return this.socket.remotePort;
  }

  get remoteFamily(): string | undefined {
    return this.socket.remoteFamily;
  }

  get localAddress(): string | undefined {
    return this.socket.localAddress;
  }

  get localPort(): number | undefined {
    return this.socket.localPort;
  }

  /**
   * net.Socket semantics: after `ms` without socket activity, emit 'timeout' (nothing is
   * closed); 0 turns the timer off and, with `callback`, removes that listener.
   */
  setTimeout(ms: number, callback?: () => void): this {
    if (callback) {
      if (ms === 0) this.off('timeout', callback);
      else this.once('timeout', callback);
    }
    if (!this.forwardingTimeout) {
      this.forwardingTimeout = true;
      this.socket.on('timeout', () => this.emit('timeout'));
    }
    this.socket.setTimeout(ms);
    return this;
  }

  setNoDelay(noDelay?: boolean): this {
    this.socket.setNoDelay(noDelay);
    return this;
  }

  setKeepAlive(enable?: boolean, initialDelayMs?: number): this {
    this.socket.setKeepAlive(enable, initialDelayMs);
    return this;
  }

  /**
   * Starts reading from the socket and driving the engine. `listener` hears once, with the
   * error on failure. Used by `handshake()`; not for callers.
   */
  beginHandshake(listener: HandshakeListener): void {
    if (this.handshakeOutcome) {
      listener(this.handshakeOutcome.error);
      return;
    }
    this.handshakeListener = listener;
    if (this.started) return;
    this.started = true;
    const socket = this.socket;
    socket.on('data', this.onSocketData);
    socket.on('end', this.onSocketEnd);
    socket.on('error', this.onSocketError);
    socket.on('close', this.onSocketClose);
    socket.on('drain', this.onSocketDrain);
    socket.on('finish', this.onSocketFinish);
    if (socket.destroyed) {
      this.failHandshakeNow(this.handshakeTransportError('the socket was closed before the TLS handshake'));
      return;
    }
    // A client engine has queued its ClientHello in start().
    this.afterEngineProgress();
    // Listeners hand over sockets paused (accepted with pauseOnConnect, so the connection filter
    // runs before any byte is read); a 'data' listener alone does not restart a paused socket.
    this.updateSocketFlow();
  }

  /** Ends the handshake with `error` at once: the socket and stream are destroyed, no alert waits. */
  abortHandshake(error: Error): void {
    // Already failing: the engine's own error settles the handshake once its alert is out.
    if (this.handshakeFinished || this.failing) return;
    this.failHandshakeNow(error);
  }

  // ---- input: socket → engine → reader ----

  private readonly onSocketData = (chunk: Buffer): void => {
    if (this.failing || this.destroyed) return;
    if (this.pausedForCertificate) {
      // pause() was called, but a chunk already on its way still arrives; keep it in order.
      this.heldInput.push(chunk);
      return;
    }
    this.feed(chunk);
  };

  private feed(chunk: Buffer): void {
    try {
      this.engine.receive(chunk);
    } catch (error) {
      this.fail(error);
      return;
    }
    this.afterEngineProgress();
  }

  /** After the engine consumed input (or started, or got a certificate): flush, advance the handshake, deliver plaintext. */
  private afterEngineProgress(): void {
    this.flushOutput();
    if (this.failing || this.destroyed) return;
    if (!this.handshakeFinished) {
      const hello = this.engine.pendingClientHello;
      if (hello) {
        this.selectCertificate(hello);
        return;
      }
      // A FIN before the handshake ends is handled by onSocketEnd (after any held input).
      if (!this.engine.handshakeDone) return;
      if (!this.finishHandshake()) return;
    }
    if (this.engine.peerClosed) this.peerDone = true;
    if (!this.deliverPlaintext()) this.pauseForReader();
  }

  /** Pushes the engine's plaintext until the reader says stop. Returns false when it did. */
  private deliverPlaintext(): boolean {
    if (this.endPushed) return true;
    const engine = this.engine;
    for (;;) {
      const plaintext = engine.pullPlaintext();
      if (plaintext === null) break;
      if (!this.push(plaintext)) return false;
    }
    if (this.peerDone) {
      this.endPushed = true;
      this.push(null);
    }
    return true;
  }

  override _read(): void {
    if (!this.handshakeFinished || this.failing) return;
    if (!this.deliverPlaintext()) return;
    if (this.pausedForReader) {
      this.pausedForReader = false;
      this.updateSocketFlow();
    }
  }

  private pauseForReader(): void {
    this.pausedForReader = true;
    this.updateSocketFlow();
  }

  private updateSocketFlow(): void {
    if (this.socket.destroyed) return;
    if (this.pausedForReader || this.pausedForCertificate || this.failing) this.socket.pause();
    else this.socket.resume();
  }

  private readonly onSocketEnd = (): void => {
    this.socketEnded = true;
    if (this.failing || this.destroyed) return;
    if (!this.handshakeFinished) {
      // While a certificate is being chosen, held input may still finish the handshake.
      if (!this.pausedForCertificate) {
        this.fail(this.handshakeTransportError('the peer closed the connection during the TLS handshake'));
      }
      return;
    }
    if (!this.engine.peerClosed) this.truncated = true;
    this.peerDone = true;
    if (!this.pausedForReader && !this.deliverPlaintext()) this.pauseForReader();
  };

  private readonly onSocketError = (error: Error): void => {
    if (this.failing || this.destroyed) return;
    if (!this.handshakeFinished) {
      this.failHandshakeNow(this.handshakeTransportError(`connection error during the TLS handshake: ${error.message}`, error));
      return;
    }
    this.destroy(new ConnectionClosedError(`TLS transport error: ${error.message}`, this.source, { cause: error }));
  };

  /**
   * The transport failed before the handshake finished. Still a TlsHandshakeError (what accept
   * and connect promise), retryable on the upstream side like any connection-level failure.
   */
  private handshakeTransportError(message: string, cause?: unknown): TlsHandshakeError {
    return new TlsHandshakeError(message, { source: this.source, cause, retryable: this.source === 'upstream' });
  }

  private readonly onSocketClose = (): void => {
    if (this.failing || this.destroyed) return;
    if (!this.handshakeFinished) {
      this.failHandshakeNow(this.handshakeTransportError('the connection closed during the TLS handshake'));
      return;
    }
    const callback = this.takePendingCallback();
    if (callback) {
      callback(new ConnectionClosedError('the connection closed while writing', this.source));
      return;
    }
    // Both directions finished normally: the Duplex destroys itself once the reader is done.
    if (this.socketEnded && this.writableFinished) return;
    if (!this.socketEnded) {
      this.destroy(new ConnectionClosedError('the connection closed unexpectedly', this.source));
      return;
    }
    // Read side ended, our write side still open but the transport is gone.
    if (!this.writableEnded) this.destroy(new ConnectionClosedError('the connection closed before this side finished writing', this.source));
  };

  // ---- certificate selection ----

  private selectCertificate(hello: ClientHelloInfo): void {
    if (hello === this.answeredHello) {
      // The engine still asks after being answered: without this check, a loop.
      this.fail(new TlsHandshakeError('the TLS engine did not take the selected certificate', { source: this.source }));
      return;
    }
    this.answeredHello = hello;
    const choose = this.callbacks.certificate;
    if (!choose) {
      this.resumeWithCertificate(undefined);
      return;
    }
    this.pausedForCertificate = true;
    this.updateSocketFlow();
    // Through a promise so a synchronous throw and a rejection fail the same way, and a slow
    // callback never holds the event loop.
    Promise.resolve()
      .then(() => choose(this.clientHello ? { ...hello, clientHello: this.clientHello } : hello))
      .then(
        (certKey) => {
          if (this.failing || this.destroyed) return;
          this.pausedForCertificate = false;
          this.resumeWithCertificate(certKey);
        },
        (error: unknown) => {
          if (this.failing || this.destroyed) return;
          const message = error instanceof Error ? error.message : String(error);
          this.failHandshakeNow(
            new TlsHandshakeError(`the certificate callback failed: ${message}`, { source: this.source, cause: error }),
          );
        },
      );
  }

  private resumeWithCertificate(certKey: Parameters<TlsEngine['selectCertificate']>[0]): void {
    try {
      this.engine.selectCertificate(certKey);
    } catch (error) {
      this.fail(error);
      return;
    }
    this.afterEngineProgress();
    // Replay what arrived while the callback ran; stop if it pauses again or fails.
    while (this.heldInput.length > 0 && !this.pausedForCertificate && !this.failing && !this.destroyed) {
      this.feed(this.heldInput.shift()!);
    }
    if (this.socketEnded && !this.pausedForCertificate && !this.failing && !this.destroyed) this.onSocketEnd();
    this.updateSocketFlow();
  }

  // ---- handshake completion ----

  /** Returns false when the handshake failed after all (the handshakeComplete hook threw). */
  private finishHandshake(): boolean {
    const digest: SslDigest = { ...this.engine.digest() };
    if (this.clientHello) digest.clientHello = this.clientHello;
    const complete = this.callbacks.handshakeComplete;
    if (complete) {
      try {
        digest.extension = complete(digest);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        this.failHandshakeNow(
          new TlsHandshakeError(`the handshakeComplete callback failed: ${message}`, { source: this.source, cause: error }),
        );
        return false;
      }
    }
    this.cachedDigest = digest;
    this.handshakeFinished = true;
    this.settleHandshake(undefined);
    return true;
  }

  private settleHandshake(error: Error | undefined): void {
    if (this.handshakeOutcome) return;
    this.handshakeOutcome = { error };
    const listener = this.handshakeListener;
    this.handshakeListener = undefined;
    listener?.(error);
  }

  /** A handshake failure with nothing to flush: tear down now. No 'error' event, since nobody holds the stream yet. */
  private failHandshakeNow(error: Error): void {
    this.failing = true;
    this.clearCloseDelay();
    this.socket.destroy();
    this.settleHandshake(error);
    this.destroy();
  }

  // ---- output: writer → engine → socket ----

  /** Writes everything the engine has queued, corked so several records leave in one syscall. Returns socket.write's verdict. */
  private flushOutput(): boolean {
    const engine = this.engine;
    const socket = this.socket;
    if (engine.pullOutputChunks) return this.flushOutputChunks(engine.pullOutputChunks());
    let output = engine.pullOutput();
    if (output === null) return true;
    if (socket.destroyed || socket.writableEnded) {
      // Nowhere to send it; drain the engine so it does not keep the bytes.
      while (engine.pullOutput() !== null);
      return true;
    }
    let next = engine.pullOutput();
    if (next === null) return socket.write(output);
    socket.cork();
    let accepted = true;
    while (output !== null) {
      accepted = socket.write(output);
      output = next;
      next = output === null ? null : engine.pullOutput();
    }
    socket.uncork();
    return accepted;
  }

  /** flushOutput for engines that hand over their records separately: one corked writev. */
  private flushOutputChunks(chunks: Uint8Array[]): boolean {
    const socket = this.socket;
    if (chunks.length === 0) return true;
    if (socket.destroyed || socket.writableEnded) return true; // nowhere to send them
    if (chunks.length === 1) return this.writeChunk(chunks[0]!);
    socket.cork();
    let accepted = true;
    for (const chunk of chunks) accepted = this.writeChunk(chunk);
    socket.uncork();
    return accepted;
  }

  /**
   * One record chunk to the socket; an engine that recycles its output gets the chunk back once
   * the socket is done with it. The write callback runs once, written or not (a destroyed socket
   * calls it with its error), and only then has libuv let go of the memory.
   */
  private writeChunk(chunk: Uint8Array): boolean {
    const engine = this.engine;
    if (!engine.releaseOutputChunk) return this.socket.write(chunk);
    return this.socket.write(chunk, () => engine.releaseOutputChunk!(chunk));
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.failing) {
      // The failure path destroys the stream with its error; keep this write pending until then.
      this.pendingWriteCallback = callback;
      return;
    }
    if (!this.handshakeFinished) {
      callback(new TlsHandshakeError('write before the TLS handshake finished', { source: 'internal' }));
      return;
    }
    try {
      this.engine.send(chunk);
    } catch (error) {
      this.pendingWriteCallback = callback;
      this.fail(error);
      return;
    }
    if (this.flushOutput()) callback();
    else this.pendingWriteCallback = callback;
  }

  /**
   * Several writes queued while the socket was busy (an HTTP head and body, say): one call into
   * the engine for the batch (small writes then share a record instead of each costing one, and
   * the engine is crossed once), then all the records in one flush.
   */
  override _writev(chunks: Array<{ chunk: Buffer; encoding: BufferEncoding }>, callback: (error?: Error | null) => void): void {
    if (this.failing || !this.handshakeFinished) {
      this._write(chunks[0]!.chunk, chunks[0]!.encoding, callback);
      return;
    }
    try {
      const engine = this.engine;
      if (engine.sendChunks) {
        engine.sendChunks(chunks.map((c) => c.chunk));
      } else {
        let total = 0;
        for (const { chunk } of chunks) total += chunk.length;
        // Joining costs a copy: worth it while the batch fits in one record, not for bulk.
        if (total <= JOIN_LIMIT) engine.send(Buffer.concat(chunks.map((c) => c.chunk), total));
        else for (const { chunk } of chunks) engine.send(chunk);
      }
    } catch (error) {
      this.pendingWriteCallback = callback;
      this.fail(error);
      return;
    }
    if (this.flushOutput()) callback();
    else this.pendingWriteCallback = callback;
  }

  private readonly onSocketDrain = (): void => {
    const callback = this.pendingWriteCallback;
    if (!callback || this.failing) return;
    this.pendingWriteCallback = undefined;
    callback();
  };

  override _final(callback: (error?: Error | null) => void): void {
    if (this.failing || this.socket.destroyed) {
      callback();
      return;
    }
    try {
      this.engine.close();
    } catch (error) {
      this.pendingWriteCallback = callback;
      this.fail(error);
      return;
    }
    this.flushOutput();
    // 'finish' only once the socket flushed everything: destroying this stream right after
    // (autoDestroy, when the reader is done too) must not cut the last records.
    this.pendingFinalCallback = callback;
    this.socket.end();
  }

  private readonly onSocketFinish = (): void => {
    const callback = this.pendingFinalCallback;
    if (!callback) return;
    this.pendingFinalCallback = undefined;
    callback();
  };

  // ---- failure and teardown ----

  /**
   * A fatal engine error: the alert the engine queued goes out first, then (after the engine's
   * close delay, s2n blinding, on a timer) the socket and this stream are destroyed with it.
   */
  private fail(cause: unknown): void {
    if (this.failing || this.destroyed) return;
    const error = this.typed(cause);
    try {
      this.flushOutput();
    } catch {
      // The socket is going away anyway.
    }
    this.failing = true;
    this.updateSocketFlow();
    let delay: number;
    try {
      delay = this.engine.closeDelayMs();
    } catch {
      delay = 0;
    }
    if (delay > 0) {
      this.closeDelayTimer = setTimeout(() => this.finishFailure(error), delay);
    } else {
      this.finishFailure(error);
    }
  }

  private finishFailure(error: Error): void {
    this.closeDelayTimer = undefined;
    // The engine's last word after the delay (s2n's alert), then one more flush.
    if (this.engine.afterCloseDelay && !this.engineDestroyed) {
      try {
        this.engine.afterCloseDelay();
        this.flushOutput();
      } catch {
        // The connection is closing with `error` anyway.
      }
    }
    this.socketClosingAfterFailure = true;
    closeAfterFlush(this.socket);
    if (!this.handshakeFinished) {
      // The handshake promise carries the error; an 'error' event would have no listener.
      this.settleHandshake(error);
      this.destroy();
      return;
    }
    const callback = this.takePendingCallback();
    // A pending write callback given the error destroys the stream with it.
    if (callback) callback(error);
    else this.destroy(error);
  }

  /** The _write or _final callback still waiting on the socket, if any; it is no longer pending. */
  private takePendingCallback(): ((error?: Error | null) => void) | undefined {
    const callback = this.pendingWriteCallback ?? this.pendingFinalCallback;
    this.pendingWriteCallback = undefined;
    this.pendingFinalCallback = undefined;
    return callback;
  }

  private typed(cause: unknown): Error {
    if (cause instanceof ProxyError) return cause;
    const message = cause instanceof Error ? cause.message : String(cause);
    return new TlsHandshakeError(`TLS engine failure: ${message}`, { source: this.source, cause });
  }

  private clearCloseDelay(): void {
    if (this.closeDelayTimer) {
      clearTimeout(this.closeDelayTimer);
      this.closeDelayTimer = undefined;
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.clearCloseDelay();
    this.heldInput = [];
    if (!this.socketClosingAfterFailure) this.socket.destroy();
    if (!this.engineDestroyed) {
      this.engineDestroyed = true;
      this.engine.destroy();
    }
    if (!this.handshakeFinished) {
      this.settleHandshake(error ?? new TlsHandshakeError('the stream was destroyed during the TLS handshake', { source: this.source }));
    }
    callback(error);
  }
}

/** How long a failed connection may take to get its last bytes (the alert) out before it is cut. */
const ALERT_FLUSH_LIMIT_MS = 1_000;

/** Closes `socket` once what is written has left (the alert), but never waits on a stuck peer for long. */
function closeAfterFlush(socket: Socket): void {
  if (socket.destroyed) return;
  if (socket.writableLength === 0) {
    socket.destroy();
    return;
  }
  const timer = setTimeout(() => socket.destroy(), ALERT_FLUSH_LIMIT_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  socket.end(() => socket.destroy());
}

/**
 * Drives `stream`'s handshake to completion. Resolves once the engine reports handshakeDone;
 * rejects with the engine's error, a TlsHandshakeError from a failed certificate callback, or
 * TlsHandshakeTimeoutError when `timeoutMs` passes first (the socket is then destroyed).
 * `timeoutMs` undefined (or not positive) means no timer.
 */
export function handshake(stream: EngineStream, timeoutMs: number | undefined, source: 'downstream' | 'upstream'): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    if (timeoutMs !== undefined && timeoutMs > 0) {
      timer = setTimeout(() => {
        timer = undefined;
        stream.abortHandshake(new TlsHandshakeTimeoutError(timeoutMs, source));
      }, timeoutMs);
    }
    stream.beginHandshake((error) => {
      if (timer) clearTimeout(timer);
      if (error) reject(error);
      else resolve();
    });
  });
}
