import { ProxyError, TlsHandshakeError } from '../errors/index.js';
import { log } from '../log.js';
import { metrics, secondsSince } from '../metrics/metrics.js';
import type { ConnectionInfo, TlsStream } from '../tls/backend.js';
import { readClientHello } from '../tls/client-hello-reader.js';
import type { HandshakeFailureInfo, TlsSettings } from '../tls/settings.js';

/**
 * Watches one downstream handshake from the listener, the one place every backend passes
 * through, from the first byte of the ClientHello to the end of the handshake: counts it
 * (metrics), and on failure logs it (debug, with the SNI and JA4 when the ClientHello was
 * read) and calls the settings' `handshakeFailed` hook with the peer address, the ClientHello
 * core parsed (`info.clientHello`, when it got that far) and the typed error.
 */
export class HandshakeObserver {
  private readonly started = process.hrtime.bigint();

  constructor(private readonly info: ConnectionInfo, private readonly settings: TlsSettings, private readonly backend: string) {}

  succeeded(stream: TlsStream): void {
    metrics.handshakeDone(stream.digest, secondsSince(this.started));
  }

  failed(e: unknown): void {
    const err = e instanceof ProxyError ? e
      : new TlsHandshakeError(`TLS handshake failed: ${e instanceof Error ? e.message : String(e)}`, { source: 'downstream', cause: e });
    metrics.handshakeFailed(this.backend, err, secondsSince(this.started));
    const hello = this.info.clientHello;
    if (log.enabled('debug')) {
      log.debug(`TLS handshake with ${this.info.peerAddr} failed`, err, hello ? { sni: hello.serverName, ja4: hello.ja4 } : undefined);
    }
    const hook = this.settings.callbacks.handshakeFailed;
    if (!hook) return;
    const info: HandshakeFailureInfo = {
      peerAddr: this.info.peerAddr, localAddr: this.info.localAddr, serverName: hello?.serverName, clientHello: hello,
    };
    try {
      hook(info, err);
    } catch (hookErr) {
      log.warn('the handshakeFailed hook threw', hookErr);
    }
  }
}

/** The server_name of a TLS record holding the start of a ClientHello; undefined when absent or not parseable. Never throws. */
export function sniOfClientHello(rec: Buffer): string | undefined {
  const r = readClientHello(rec);
  return r.status === 'done' ? r.hello.serverName : undefined;
}
