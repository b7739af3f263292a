import { EventEmitter } from 'node:events';
import type { SessionIdStore, TlsSettings } from '@proxy/core';

/**
 * The events tls.Server emits for TLS 1.2 session-ID resumption ('newSession',
 * 'resumeSession'), for a standalone server TLSSocket (given as its `server`). Without a store:
 * a bounded map in this process, the least recently stored session dropped first. With the
 * settings' SessionIdStore (shared by the workers of a server): Node pauses the handshake until
 * 'resumeSession' answers, so the lookup may ask another process; a failed lookup is a miss.
 */
export function sessionIdEvents(settings: TlsSettings): EventEmitter | undefined {
  if (settings.sessionIdCacheSize <= 0) return undefined;
  const store = settings.sessionIdStore ?? localStore(settings.sessionIdCacheSize);
  const events = new EventEmitter();
  events.on('newSession', (id: Buffer, data: Buffer, done: () => void) => {
    store.set(id, data);
    done();
  });
  events.on('resumeSession', (id: Buffer, done: (err: Error | null, data: Buffer | null) => void) => {
    Promise.resolve(store.get(id)).then((data) => done(null, data ?? null), () => done(null, null));
  });
  return events;
}

function localStore(max: number): SessionIdStore {
  const sessions = new Map<string, Buffer>();
  return {
    set(id, data) {
      const key = id.toString('hex');
      sessions.delete(key);
      sessions.set(key, data);
      if (sessions.size > max) sessions.delete(sessions.keys().next().value!);
    },
    get: (id) => sessions.get(id.toString('hex')),
  };
}
