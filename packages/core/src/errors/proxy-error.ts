/**
 * Every error @proxy raises is a ProxyError: a stable `code` callers can switch on, the side
 * of the proxy it came from, and whether trying again (a new connection, another peer) can help.
 * Modelled on Pingora's `Error { etype, esource, retry }`. Codes are UPPER_SNAKE_CASE with an
 * area prefix (TLS_, HTTP_, UPSTREAM_, LIMIT_, CONFIG_); docs/errors.md lists every one.
 */
export type ErrorSource = 'downstream' | 'upstream' | 'internal' | 'config';

export interface ProxyErrorOptions {
  source?: ErrorSource;
  retryable?: boolean;
  cause?: unknown;
}

/**
 * The brand every ProxyError carries: the names of its class and of each ancestor class up to
 * ProxyError. A process can hold two copies of @proxy/core (two versions in node_modules, a
 * backend package with its own copy); the brand is keyed with Symbol.for, so an error made by
 * one copy is `instanceof` the matching class of the other, as undici does for its errors.
 */
const BRAND = Symbol.for('@proxy/core.error-brand');

/** Any class: the brand walks constructors, never calls them. */
type AnyClass = abstract new (...args: never[]) => unknown;

const chains = new WeakMap<AnyClass, readonly string[]>();

function brandChain(ctor: AnyClass): readonly string[] {
  let chain = chains.get(ctor);
  if (!chain) {
    const names: string[] = [];
    for (let c: AnyClass | null = ctor; c && c !== Error && (c as unknown) !== Function.prototype; c = Object.getPrototypeOf(c) as AnyClass | null) {
      names.push(c.name);
    }
    chain = Object.freeze(names);
    chains.set(ctor, chain);
  }
  return chain;
}

export class ProxyError extends Error {
  readonly code: string;
  readonly source: ErrorSource;
  /** True when a new attempt (new connection, another peer) may succeed. */
  retryable: boolean;
  declare readonly [BRAND]: readonly string[];

  constructor(code: string, message: string, options: ProxyErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.source = options.source ?? 'internal';
    this.retryable = options.retryable ?? false;
    Object.defineProperty(this, BRAND, { value: brandChain(new.target), enumerable: false });
  }

  /**
   * `x instanceof ProxyError` (or any subclass) by brand: true for an error of this class made
   * by any copy of @proxy/core in the process. Objects without the brand fall back to the
   * prototype chain.
   */
  static override [Symbol.hasInstance](x: unknown): boolean {
    if (typeof x !== 'object' || x === null) return false;
    const chain = (x as { [BRAND]?: unknown })[BRAND];
    if (Array.isArray(chain)) return chain.includes(this.name);
    return Function.prototype[Symbol.hasInstance].call(this, x);
  }
}

/**
 * Codes that also match under an older name. `InvalidCert` is Pingora's name for a certificate
 * that failed verification; the canonical code is `TLS_INVALID_CERT`.
 */
export const ERROR_CODE_ALIASES: Readonly<Record<string, string>> = Object.freeze({
  InvalidCert: 'TLS_INVALID_CERT',
});

/** True when `err` carries `code`, or the canonical code that `code` is an alias of. */
export function hasErrorCode(err: unknown, code: string): boolean {
  const actual = (err as { code?: unknown } | null | undefined)?.code;
  if (typeof actual !== 'string') return false;
  return actual === code || actual === ERROR_CODE_ALIASES[code];
}
