import type { TlsEngine } from '@proxy/core';
import { newClientEngine, newServerEngine, compileServerConfig, compileClientConfig, SessionCache } from '../../src/index.js';
import type { PureTlsEngine, ClientConfig, ServerConfig } from '../../src/index.js';

/** Moves bytes between two engines until neither has anything to say; returns the first error per side. */
export function pump(a: TlsEngine, b: TlsEngine, maxRounds = 50): { a?: Error; b?: Error } {
  const errors: { a?: Error; b?: Error } = {};
  for (let i = 0; i < maxRounds; i++) {
    let moved = false;
    const fromA = a.pullOutput();
    if (fromA && !errors.b) {
      moved = true;
      try {
        b.receive(fromA);
      } catch (e) {
        errors.b = e as Error;
      }
    }
    const fromB = b.pullOutput();
    if (fromB && !errors.a) {
      moved = true;
      try {
        a.receive(fromB);
      } catch (e) {
        errors.a = e as Error;
      }
    }
    if (!moved) break;
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
