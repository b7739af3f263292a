import type { Socket } from 'node:net';
import { TlsClientHelloError, TlsHandshakeTimeoutError, type TlsHandshakeError } from '../errors/index.js';
import type { ClientHello } from '../tls/client-hello.js';
import { ClientHelloReader, plaintextAlert } from '../tls/client-hello-reader.js';

/**
 * Reads the ClientHello off a paused, freshly accepted socket before any TLS backend sees it,
 * then puts every byte read back (unshift) so the backend receives exactly what the client
 * sent, and calls `done` with the parsed hello. In the common case, a ClientHello whole in the
 * first read, `done` runs synchronously inside that 'data' event: no timer fires, no promise.
 *
 * On failure the connection is ended here: bytes that are not TLS are closed without a byte
 * sent; a malformed or oversized ClientHello gets its fatal alert (decode_error,
 * record_overflow, unexpected_message) first; a client that sends nothing within
 * `timeoutMs` (the handshake timeout) or closes is dropped. `done` then gets the typed error.
 */
export function awaitClientHello(
  socket: Socket,
  timeoutMs: number,
  done: (hello: ClientHello | undefined, error: TlsHandshakeError | undefined) => void,
): void {
  const reader = new ClientHelloReader();
  let settled = false;
  const cleanup = (): void => {
    settled = true;
    clearTimeout(timer);
    socket.off('data', onData);
    socket.off('end', onClosed);
    socket.off('close', onClosed);
    socket.off('error', onClosed);
  };
  const onData = (chunk: Buffer): void => {
    if (settled) return;
    const r = reader.push(chunk);
    if (r.status === 'more') return;
    cleanup();
    socket.pause();
    if (r.status === 'done') {
      socket.unshift(reader.bytes);
      done(r.hello, undefined);
      return;
    }
    const f = r.failure;
    refuse(socket, f.alert);
    done(undefined, new TlsClientHelloError(f.reason, `not a usable ClientHello: ${f.detail}`, f.alert));
  };
  const onClosed = (): void => {
    if (settled) return;
    cleanup();
    socket.destroy();
    done(undefined, new TlsClientHelloError('closed', 'the connection closed before the ClientHello was complete', undefined));
  };
  const timer = setTimeout(() => {
    if (settled) return;
    cleanup();
    socket.destroy();
    done(undefined, new TlsHandshakeTimeoutError(timeoutMs, 'downstream'));
  }, timeoutMs);
  socket.on('data', onData);
  socket.once('end', onClosed);
  socket.once('close', onClosed);
  socket.once('error', onClosed);
  socket.resume();
}

/**
 * Ends a connection whose ClientHello was refused: with a fatal alert in a plaintext record
 * when there is one to send (then closed once it is written), else at once.
 */
export function refuse(socket: Socket, alert: number | undefined): void {
  if (alert === undefined || socket.destroyed || !socket.writable) {
    socket.destroy();
    return;
  }
  socket.pause();
  socket.end(plaintextAlert(alert), () => socket.destroy());
  // A peer that never reads cannot hold the socket open: the alert is 7 bytes, so this only
  // matters when the kernel buffer is already full.
  setTimeout(() => socket.destroy(), 2000).unref();
}
