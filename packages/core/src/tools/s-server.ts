import { createServer, type Server, type Socket } from 'node:net';
import { Alpn } from '../tls/alpn.js';
import { CertKey } from '../tls/cert-key.js';
import { tlsBackend } from '../tls/registry.js';
import { connectionInfo } from '../listeners/connection-info.js';
import { TlsSettings } from '../tls/settings.js';
import type { TlsStream } from '../tls/backend.js';
import type { SslDigest } from '../tls/digest.js';
import {
  TOOL_LINE, digestToJson, errorLines, type SServerOptions, type TlsToolIo,
} from './tls-tool.js';

/** Builds listener settings from s_server flags, through the same public API an app uses. */
export function sServerSettings(o: SServerOptions): TlsSettings {
  let settings: TlsSettings;
  if (o.sni.length > 0) {
    const byName = new Map(o.sni.map((e) => [e.name, CertKey.fromFiles(e.cert, e.key)] as const));
    settings = TlsSettings.withCallbacks(
      { certificate: (hello) => (hello.serverName ? byName.get(hello.serverName) : undefined) },
      CertKey.fromFiles(o.cert, o.key),
    );
  } else {
    settings = TlsSettings.intermediate(o.cert, o.key);
  }
  settings.setVersions(o.minVersion, o.maxVersion);
  if (o.alpn) settings.setAlpn(alpnOf(o.alpn));
  if (o.clientAuth !== 'none' && o.caFile) settings.setClientAuth({ ca: o.caFile, required: o.clientAuth === 'required' });
  if (o.keylogFile) settings.setKeylog(o.keylogFile);
  if (o.handshakeTimeoutMs !== undefined) settings.setHandshakeTimeout(o.handshakeTimeoutMs);
  if (o.noTicket) settings.setSessionTickets(false);
  return settings;
}

/** The named Alpn constants where the list is one of them, so backends without custom ALPN still run. */
export function alpnOf(protocols: readonly string[]): Alpn {
  const key = protocols.join(',');
  if (key === 'h2,http/1.1') return Alpn.H2H1;
  if (key === 'h2') return Alpn.H2;
  if (key === 'http/1.1') return Alpn.H1;
  return Alpn.custom(...protocols);
}

/**
 * openssl-style test server: accepts TLS with the registered backend, prints one line per
 * handshake (digest JSON) or failure (error code), then echoes data back or, with -www,
 * answers an HTTP/1.1 request with a page describing the session. Resolves when the server
 * closes: after -naccept connections, or on SIGINT/SIGTERM.
 */
export async function runSServer(o: SServerOptions, io: TlsToolIo): Promise<number> {
  const backend = tlsBackend();
  const acceptor = backend.createAcceptor(sServerSettings(o));
  let remaining = o.naccept;
  const open = new Set<Socket>();

  const server: Server = createServer((socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    // The acceptor reports the failure; this only keeps a reset from crashing the tool.
    socket.on('error', () => {});
    const done = (): void => {
      if (remaining !== undefined && --remaining === 0) server.close();
    };
    acceptor
      .accept(socket, connectionInfo(socket))
      .then(
        (stream) => {
          io.stdout.write(`${TOOL_LINE.handshake} ${JSON.stringify(digestToJson(stream.digest))}\n`);
          stream.on('error', (err) => io.stdout.write(errorLines(TOOL_LINE.streamError, err)));
          stream.on('close', done);
          if (o.www) serveWww(stream, backend.library);
          else stream.pipe(stream);
        },
        (err) => {
          io.stdout.write(errorLines(TOOL_LINE.error, err));
          // After a failed handshake (and the alert the backend sent) the connection is closed.
          socket.destroy();
          done();
        },
      );
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: o.port, host: o.host }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  io.stdout.write(`${TOOL_LINE.accept} ${typeof addr === 'object' && addr ? addr.port : o.port}\n`);

  const stop = (): void => {
    server.close();
    for (const s of open) s.destroy();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await new Promise<void>((resolve) => server.on('close', resolve));
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  return 0;
}

/**
 * Reads one HTTP/1.x request head and answers it with a text page naming the backend, the
 * library and what was negotiated, then closes (Connection: close keeps the tool simple).
 */
function serveWww(stream: TlsStream, library: string): void {
  let head = '';
  const onData = (chunk: Buffer): void => {
    head += chunk.toString('latin1');
    if (!head.includes('\r\n\r\n') && !head.includes('\n\n') && head.length < 65536) return;
    stream.off('data', onData);
    const requestLine = head.split(/\r?\n/, 1)[0] ?? '';
    if (requestLine.startsWith('PRI * HTTP/2')) {
      // An h2 client after ALPN h2: this tool speaks only HTTP/1.1, so say so and close.
      stream.end();
      return;
    }
    const body = wwwPage(stream.digest, library, requestLine);
    stream.end(
      `HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Connection: close\r\n\r\n${body}`,
    );
  };
  stream.on('data', onData);
  // A client that half-closes without a complete request gets closed too (half-open streams
  // would otherwise wait forever).
  stream.once('end', () => {
    if (stream.listenerCount('data') > 0) {
      stream.off('data', onData);
      stream.end();
    }
  });
}

export function wwwPage(d: SslDigest, library: string, requestLine: string): string {
  const pc = d.peerCertificate;
  return [
    `backend: ${d.backend}`,
    `library: ${library}`,
    `version: ${d.version}`,
    `cipher: ${d.cipher}`,
    `group: ${d.group ?? '-'}`,
    `alpn: ${d.alpn ?? '-'}`,
    `sni: ${d.sni ?? '-'}`,
    `session-reused: ${d.sessionReused}`,
    `client-certificate: ${pc ? pc.subject : '-'}`,
    `request: ${requestLine}`,
    '',
  ].join('\n');
}
