import type { Duplex } from 'node:stream';
import type { ConnectionInfo } from '../tls/backend.js';
import type { SslDigest } from '../tls/digest.js';

/** One accepted downstream connection, after the connection filter and the TLS handshake (if any). */
export interface DownstreamConnection {
  readonly info: ConnectionInfo;
  /** The handshake's digest; undefined on a plain TCP listener. */
  readonly digest: SslDigest | undefined;
}

/**
 * What a Service serves on its listeners (Pingora's ServerApp). HttpProxy is one; a raw TCP app
 * could be another.
 */
export interface ServiceApp {
  /** Serve one connection until it closes. `stream` is the TlsStream on TLS listeners, the socket on TCP ones. */
  handleConnection(stream: Duplex, conn: DownstreamConnection): void;
  /**
   * Graceful shutdown: take no new requests (close idle keep-alive connections, GOAWAY on h2),
   * let in-flight ones finish; resolve when none remain or after `graceMs`, then close the rest.
   */
  shutdown(graceMs: number): Promise<void>;
}
