import type { Socket } from 'node:net';
import { ProxyError, TlsHandshakeError } from '../errors/index.js';
import { log } from '../log.js';
import { metrics, secondsSince } from '../metrics/metrics.js';
import type { ConnectionInfo, TlsStream } from '../tls/backend.js';
import type { HandshakeFailureInfo, TlsSettings } from '../tls/settings.js';

/**
 * Watches one downstream handshake from the listener, the one place every backend passes
 * through: counts it (metrics), and on failure calls the settings' `handshakeFailed` hook with
 * the peer address, the SNI if the ClientHello showed one, and the typed error.
 *
 * The SNI is read from the first chunk the socket delivers (a passive 'data' listener that
 * removes itself at once, so it never sees bytes a backend puts back with unshift); a ClientHello
 * split across reads yields no name.
 */
export class HandshakeObserver {
  private readonly started = process.hrtime.bigint();
  private serverName: string | undefined;

  constructor(socket: Socket, private readonly info: ConnectionInfo, private readonly settings: TlsSettings, private readonly backend: string) {
    const onFirst = (chunk: Buffer): void => {
      this.serverName = sniOfClientHello(chunk);
    };
    socket.once('data', onFirst);
  }

  succeeded(stream: TlsStream): void {
    metrics.handshakeDone(stream.digest, secondsSince(this.started));
  }

  failed(e: unknown): void {
    const err = e instanceof ProxyError ? e
      : new TlsHandshakeError(`TLS handshake failed: ${e instanceof Error ? e.message : String(e)}`, { source: 'downstream', cause: e });
    metrics.handshakeFailed(this.backend, err, secondsSince(this.started));
    log.debug(`TLS handshake with ${this.info.peerAddr} failed`, err);
    const hook = this.settings.callbacks.handshakeFailed;
    if (!hook) return;
    const info: HandshakeFailureInfo = { peerAddr: this.info.peerAddr, localAddr: this.info.localAddr, serverName: this.serverName };
    try {
      hook(info, err);
    } catch (hookErr) {
      log.warn('the handshakeFailed hook threw', hookErr);
    }
  }
}

/** The server_name of a TLS record holding the start of a ClientHello; undefined when absent or not parseable. Never throws. */
export function sniOfClientHello(rec: Buffer): string | undefined {
  try {
    if (rec.length < 9 || rec[0] !== 0x16 || rec[5] !== 0x01) return undefined;
    const end = Math.min(rec.length, 5 + rec.readUInt16BE(3));
    let p = 9 + 2 + 32; // record header, handshake header, legacy_version, random
    p += 1 + rec[p]!; // legacy_session_id
    p += 2 + rec.readUInt16BE(p); // cipher_suites
    p += 1 + rec[p]!; // compression_methods
    if (p + 2 > end) return undefined;
    const extEnd = Math.min(end, p + 2 + rec.readUInt16BE(p));
    p += 2;
    while (p + 4 <= extEnd) {
      const type = rec.readUInt16BE(p);
      const len = rec.readUInt16BE(p + 2);
      if (type === 0x0000) {
        // server_name_list: list length(2), type(1) = host_name, name length(2), name.
        if (len < 5 || rec[p + 6] !== 0) return undefined;
        const n = rec.readUInt16BE(p + 7);
        if (p + 9 + n > extEnd) return undefined;
        return rec.subarray(p + 9, p + 9 + n).toString('ascii').toLowerCase();
      }
      p += 4 + len;
    }
    return undefined;
  } catch {
    return undefined;
  }
}
