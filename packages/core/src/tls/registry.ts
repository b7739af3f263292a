import { TlsBackendConflictError, TlsNoBackendError } from '../errors/index.js';
import type { TlsBackend } from './backend.js';

/**
 * The one backend of this process. Kept on globalThis so that two copies of @proxy/core in one
 * dependency tree still see each other, and a second backend cannot slip in through the other copy.
 */
const SLOT = Symbol.for('@proxy/core/tls-backend');
type Slot = { backend: TlsBackend | undefined };
const slot: Slot = ((globalThis as Record<symbol, unknown>)[SLOT] as Slot | undefined)
  ?? ((globalThis as Record<symbol, unknown>)[SLOT] = { backend: undefined } as Slot);

/** Called by a backend package when it is imported. Registering the same package twice is a no-op. */
export function registerTlsBackend(backend: TlsBackend): void {
  const current = slot.backend;
  if (current && current.packageName !== backend.packageName) {
    throw new TlsBackendConflictError(current.packageName, backend.packageName);
  }
  slot.backend ??= backend;
}

/** The registered backend; throws TlsNoBackendError when TLS is used and none was imported. */
export function tlsBackend(): TlsBackend {
  if (!slot.backend) throw new TlsNoBackendError();
  return slot.backend;
}

export function hasTlsBackend(): boolean {
  return slot.backend !== undefined;
}

/** For tests of the registry itself. */
export function unregisterTlsBackendForTests(): void {
  slot.backend = undefined;
}
