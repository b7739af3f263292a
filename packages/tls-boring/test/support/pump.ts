import { TlsHandshakeError, type TlsClientOptions, type TlsSettings } from '@proxy/core';
import { compileClient, compileServer, newClientEngine, newServerEngine, type BoringEngine } from '@proxy/tls-boring';

/** Moves every queued record from one engine to the other until neither has output. */
export function pump(client: BoringEngine, server: BoringEngine): { clientError?: TlsHandshakeError; serverError?: TlsHandshakeError } {
  const result: { clientError?: TlsHandshakeError; serverError?: TlsHandshakeError } = {};
  for (let rounds = 0; rounds < 20; rounds++) {
    let moved = false;
    for (const chunk of client.pullOutputChunks()) {
      moved = true;
      if (result.serverError) continue;
      try {
        server.receive(chunk);
      } catch (e) {
        result.serverError = e as TlsHandshakeError;
      }
    }
    if (server.pendingClientHello) return result;
    for (const chunk of server.pullOutputChunks()) {
      moved = true;
      if (result.clientError) continue;
      try {
        client.receive(chunk);
      } catch (e) {
        result.clientError = e as TlsHandshakeError;
      }
    }
    if (!moved) break;
  }
  return result;
}

/** A client and a server engine over freshly compiled contexts, client started. */
export function pair(settings: TlsSettings, options: TlsClientOptions, sni = 'localhost'): { client: BoringEngine; server: BoringEngine } {
  const server = newServerEngine(compileServer(settings), '127.0.0.1:1234');
  const client = newClientEngine(compileClient(options), { sni, addr: '127.0.0.1:443' });
  client.start();
  return { client, server };
}

/** Everything the engine has decrypted, as text. */
export function drainText(engine: BoringEngine): string {
  let s = '';
  for (let p = engine.pullPlaintext(); p; p = engine.pullPlaintext()) s += Buffer.from(p).toString();
  return s;
}
