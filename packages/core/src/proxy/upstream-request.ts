import type { H1ResponseSink } from '../upstream/h1-client.js';

/** Receives one upstream response, whatever the HTTP version: head, body*, end | error. */
export type UpstreamSink = H1ResponseSink;

/**
 * One request in flight on an upstream connection, as the proxy's per-request task drives it.
 * `upstream-h1.ts` and `upstream-h2.ts` implement it (as undici's client-h1 / client-h2 are
 * siblings); the task never looks at the HTTP version again once the request is sent.
 */
export interface UpstreamRequest {
  readonly protocol: 'h1' | 'h2';
  /** Request body bytes; false: wait for `onWritable` before writing more. */
  writeBody(chunk: Buffer): boolean;
  /** `fn` runs once when the upstream takes body bytes again. */
  onWritable(fn: () => void): void;
  /** The request body is complete. */
  endBody(): void;
  /** The request body will not be sent completely (the upstream answered early). */
  abandonBody(): void;
  /** Stop / restart delivering response data (downstream backpressure, an async filter). */
  pause(): void;
  resume(): void;
  /** The response ended: the connection goes back for reuse when it can. */
  complete(): void;
  /** Drops the exchange before its end: the request is cancelled upstream (h1: the connection closes). */
  detach(): void;
}
