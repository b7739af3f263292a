/**
 * Every error @proxy raises is a ProxyError: a stable `code` callers can switch on, the side
 * of the proxy it came from, and whether trying again (a new connection, another peer) can help.
 * Modelled on Pingora's `Error { etype, esource, retry }`.
 */
export type ErrorSource = 'downstream' | 'upstream' | 'internal' | 'config';

export interface ProxyErrorOptions {
  source?: ErrorSource;
  retryable?: boolean;
  cause?: unknown;
}

export class ProxyError extends Error {
  readonly code: string;
  readonly source: ErrorSource;
  /** True when a new attempt (new connection, another peer) may succeed. */
  retryable: boolean;

  constructor(code: string, message: string, options: ProxyErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.source = options.source ?? 'internal';
    this.retryable = options.retryable ?? false;
  }
}
