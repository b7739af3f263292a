import type { TlsEngine } from '@proxy/core';
import { newClientEngine, newServerEngine, compileServerConfig, compileClientConfig, SessionCache } from '../../src/index.js';
import type { PureTlsEngine, ClientConfig, ServerConfig } from '../../src/index.js';

/** Moves bytes between two engines until neither has anything to say; returns the first error per side. */
export function pump(a: TlsEngine, b: TlsEngine, maxRounds = 50): { a?: Error; b?: Error } {
  const errors: { a?: Error; b?: Error } = {};
  /** Hands `from`'s output to `to` (named `side` in `errors`) unless `to` already failed; true if bytes moved. */
  const deliver = (from: TlsEngine, to: TlsEngine, side: 'a' | 'b'): boolean => {
    const data = from.pullOutput();
    if (!data || errors[side]) return false;
    try {
      to.receive(data);
    } catch (e) {
      errors[side] = e as Error;
    }
    return true;
  };
  for (let i = 0; i < maxRounds; i++) {
    const movedToB = deliver(a, b, 'b');
    const movedToA = deliver(b, a, 'a');
    if (!movedToB && !movedToA) break;
  }
  return errors;
}

export function readAll(e: TlsEngine): string {
  let s = '';
  for (let p = e.pullPlaintext(); p; p = e.pullPlaintext()) s += Buffer.from(p).toString();
  return s;
}

export function pair(server: ServerConfig, client: ClientConfig): { s: PureTlsEngine; c: PureTlsEngine } {
  const s = newServerEngine(server, '127.0.0.1:1');
  const c = newClientEngine(client);
  c.start();
  s.start();
  return { s, c };
}

export { compileServerConfig, compileClientConfig, SessionCache };
