import type { CertKey } from './cert-key.js';
import type { SslDigest } from './digest.js';
import type { ClientHelloInfo } from './settings.js';

/**
 * A sans-IO TLS connection: ciphertext in, ciphertext out, plaintext both ways. The BoringSSL,
 * s2n and pure backends each provide one; core's EngineStream is the single Duplex adapter
 * over it (backpressure, close_notify, half-close, timeouts, errors), so no backend writes its
 * own stream plumbing.
 *
 * Errors: `receive`, `send` and `close` throw a TlsHandshakeError (or a subclass such as
 * InvalidCertError or TlsAlertReceivedError) on a fatal condition, after queueing any alert in
 * the output, which the adapter still flushes before closing.
 */
export interface TlsEngine {
  readonly side: 'client' | 'server';
  /** Starts the handshake: a client queues its ClientHello; a server does nothing. */
  start(): void;
  /** Ciphertext from the transport. */
  receive(data: Uint8Array): void;
  /** Application data to encrypt. Only called once `handshakeDone`. */
  send(data: Uint8Array): void;
  /**
   * Optional: a batch of writes in one call (the adapter's writev), encrypted as one stream so
   * that small writes share a record. Without it the adapter joins a small batch itself and
   * sends a large one write by write.
   */
  sendChunks?(chunks: readonly Uint8Array[]): void;
  /** Queues close_notify; later `send` calls are errors. */
  close(): void;
  /** The next ciphertext to write to the transport, or null when there is none. */
  pullOutput(): Uint8Array | null;
  /**
   * Optional: all pending ciphertext as the engine holds it (one chunk per record, say), for an
   * adapter that writes a list in one go. It saves the copy into one buffer that pullOutput may
   * make, which for bulk data is one more allocation per byte sent.
   */
  pullOutputChunks?(): Uint8Array[];
  /**
   * Optional: the transport is done with `chunk`, one that pullOutputChunks handed over (written,
   * or dropped with the socket), so the engine may reuse its memory. Called at most once per
   * chunk; a chunk never returned is left to the garbage collector. Engines that recycle their
   * output blocks this way create no new buffer per record, which V8 would otherwise count as
   * external memory and answer with a mark-compact every few dozen milliseconds of bulk output.
   */
  releaseOutputChunk?(chunk: Uint8Array): void;
  /** The next decrypted application data, or null when there is none. */
  pullPlaintext(): Uint8Array | null;
  readonly handshakeDone: boolean;
  /** The peer sent close_notify: no more plaintext will come. */
  readonly peerClosed: boolean;
  /**
   * Server side: set while the engine waits for a certificate choice. The adapter then calls
   * the settings' `certificate` hook with it and answers with `selectCertificate`.
   */
  readonly pendingClientHello: ClientHelloInfo | undefined;
  /** Resumes a server handshake paused on `pendingClientHello`; undefined means the default certificate. */
  selectCertificate(certKey: CertKey | undefined): void;
  /** What the handshake negotiated; valid once `handshakeDone`. `extension` is filled by core. */
  digest(): SslDigest;
  /** Milliseconds to wait before closing after a fatal error (s2n's self-service blinding); 0 otherwise. */
  closeDelayMs(): number;
  /**
   * Optional: called once the close delay has passed (at once when it is 0), just before the
   * adapter closes after a fatal error. An engine that could not write its alert during the
   * delay (s2n refuses to until then) queues it here; the adapter flushes once more.
   */
  afterCloseDelay?(): void;
  /** Frees native resources. Idempotent. */
  destroy(): void;
}
