import { connect, createServer, type ConnectionOptions, type PeerCertificate, type TLSSocket, type TlsOptions } from 'node:tls';
import type { AddressInfo } from 'node:net';

/**
 * Node's own tls module as a peer, in this process. It is OpenSSL underneath, but an
 * independent configuration path from any backend's, and the quickest peer to drive.
 */

export interface NodeTlsClientOptions extends Omit<ConnectionOptions, 'port' | 'host'> {
  port: number;
  host?: string;
  timeoutMs?: number;
}

export interface NodeTlsClientResult {
  socket: TLSSocket;
  version: string | null;
  /** Node's cipher report: OpenSSL name and IANA (standardName) name. */
  cipher: { name: string; standardName: string; version: string };
  alpn: string | false | null;
  peerCertificate: PeerCertificate;
  authorized: boolean;
  authorizationError: Error | null;
}

/** Connects and resolves after the handshake; rejects on a failed handshake or after the timeout. */
export function nodeTlsConnect(o: NodeTlsClientOptions): Promise<NodeTlsClientResult> {
  const { port, host, timeoutMs, ...tlsOptions } = o;
  return new Promise((resolve, reject) => {
    const socket = connect({ ...tlsOptions, port, host: host ?? '127.0.0.1' });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`Node tls client: no handshake within ${timeoutMs ?? 5000} ms`));
    }, timeoutMs ?? 5000);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      // Later errors (a TLS 1.3 server refusing our certificate after its Finished) are the caller's.
      socket.on('error', () => {});
      resolve({
        socket,
        version: socket.getProtocol(),
        cipher: socket.getCipher(),
        alpn: socket.alpnProtocol,
        peerCertificate: socket.getPeerCertificate(),
        authorized: socket.authorized,
        authorizationError: socket.authorizationError ? new Error(String(socket.authorizationError)) : null,
      });
    });
    const onError = (err: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    socket.once('error', onError);
  });
}

/** Reads until the peer closes (or the timeout), for "the server answered X" checks. */
export function readAll(socket: TLSSocket, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`peer did not close within ${timeoutMs} ms; read so far: ${data}`));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('data', (s: string) => (data += s));
    socket.on('error', () => {});
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(data);
    });
  });
}

export interface NodeTlsServer {
  port: number;
  /** Sockets that completed a handshake, in order. */
  sessions: TLSSocket[];
  /** Handshake failures seen by the server (tlsClientError). */
  clientErrors: Error[];
  close(): Promise<void>;
}

/** A Node tls server on a free loopback port that echoes, for connector tests. */
export function nodeTlsServer(options: TlsOptions): Promise<NodeTlsServer> {
  const sessions: TLSSocket[] = [];
  const clientErrors: Error[] = [];
  const server = createServer(options, (socket) => {
    sessions.push(socket);
    socket.on('error', () => {});
    socket.pipe(socket);
  });
  server.on('tlsClientError', (err) => clientErrors.push(err));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: (server.address() as AddressInfo).port,
        sessions,
        clientErrors,
        close: () => new Promise<void>((done) => {
          for (const s of sessions) s.destroy();
          server.close(() => done());
        }),
      });
    });
  });
}
