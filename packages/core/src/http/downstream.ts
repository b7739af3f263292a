import type { Duplex, Readable } from 'node:stream';
import type { DownstreamConnection } from '../server/service-app.js';
import type { RequestHead } from './messages.js';
import type { HeaderMap } from './header-map.js';

/**
 * One request/response exchange with a client, independent of the HTTP version. The proxy
 * talks to this; h1-server.ts and h2-server.ts implement it over Node's parsers.
 */
export interface DownstreamExchange {
  readonly httpVersion: 1 | 2;
  readonly req: RequestHead;
  readonly conn: DownstreamConnection;
  /** The request body stream; undefined when the request has no body. */
  readonly body: Readable | undefined;
  /** Request Content-Length; -1 when the body length is not known in advance. */
  readonly contentLength: number;
  readonly headersSent: boolean;
  /** True once the response was completely handed to the transport or the exchange was aborted. */
  readonly finished: boolean;
  /** Sends the response head; `endStream`: no body follows. Hop-by-hop fields must already be gone. */
  writeHead(status: number, headers: HeaderMap, endStream: boolean, reason?: string): void;
  /** false: wait for `onDrain` before writing more. */
  write(chunk: Buffer): boolean;
  /**
   * Optional: like `write`, for a chunk whose memory is reused as soon as this returns (a view
   * of the upstream read buffer). The bytes must be consumed by then (a TLS stream that encrypts
   * them at once) or copied. Without it the proxy writes a copy.
   */
  writeBorrowed?(chunk: Buffer): boolean;
  onDrain(fn: () => void): void;
  end(chunk?: Buffer): void;
  /** Optional: `end` with a borrowed last chunk, under writeBorrowed's rule. */
  endBorrowed?(chunk: Buffer): void;
  /** Optional: this response closes the connection (HTTP/1.1 `Connection: close`), if its head has not gone yet. */
  noKeepAlive?(): void;
  /** Cuts the exchange: the client sees a reset or a truncated response. */
  abort(): void;
  /** Called once when the client goes away before the response ended. */
  onAbort(fn: () => void): void;
}

/** Receives each new exchange; the proxy's entry point. */
export type ExchangeHandler = (exchange: DownstreamExchange) => void;

/** Per-connection bookkeeping for graceful shutdown. */
export interface DownstreamServer {
  serve(stream: Duplex, conn: DownstreamConnection): void;
  /** Stop reuse of idle connections, let in-flight exchanges finish; resolves when all connections closed. */
  drain(): Promise<void>;
  /** Closes every remaining connection at once. */
  closeAll(): void;
  readonly connectionCount: number;
}
