import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { connectionInfo, tlsBackend, type SslDigest, type TlsSettings, type TlsStream } from '@proxy/core';
import { digestToJson } from '@proxy/core/tools';

/** How one accepted connection ended up: a finished handshake or the acceptor's error. */
export type AcceptOutcome =
  | { ok: true; digest: SslDigest; stream: TlsStream }
  | { ok: false; error: Error & { code?: string }; elapsedMs: number };

/**
 * The registered backend serving on a loopback port in this process: `net.createServer` +
 * `tlsBackend().createAcceptor(settings)`, as core's listeners do. In 'http' mode it answers
 * one HTTP/1.1 request with the digest as JSON (and closes); in 'echo' mode it echoes.
 * Tests read each connection's outcome in order with `mark()` / `outcomeAfter(mark)`.
 */
export class BackendTestServer {
  readonly outcomes: AcceptOutcome[] = [];
  private readonly waiters = new Set<() => void>();
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server, readonly port: number) {}

  static async start(settings: TlsSettings, mode: 'http' | 'echo' = 'http'): Promise<BackendTestServer> {
    const acceptor = tlsBackend().createAcceptor(settings);
    let self: BackendTestServer | undefined = undefined;
    const server = createServer((socket) => {
      const started = Date.now();
      self!.sockets.add(socket);
      socket.on('close', () => self!.sockets.delete(socket));
      socket.on('error', () => {});
      acceptor
        .accept(socket, connectionInfo(socket))
        .then(
          (stream) => {
            stream.on('error', () => {});
            self!.push({ ok: true, digest: stream.digest, stream });
            if (mode === 'echo') stream.pipe(stream);
            else answerHttp(stream);
          },
          (error: Error) => {
            socket.destroy();
            self!.push({ ok: false, error, elapsedMs: Date.now() - started });
          },
        );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    self = new BackendTestServer(server, (server.address() as AddressInfo).port);
    return self;
  }

  private push(o: AcceptOutcome): void {
    this.outcomes.push(o);
    for (const w of [...this.waiters]) w();
  }

  /** The index the next connection's outcome will have. */
  mark(): number {
    return this.outcomes.length;
  }

  /** The outcome of the connection at index `mark`, waiting for it up to `timeoutMs`. */
  outcomeAfter(mark: number, timeoutMs = 5000): Promise<AcceptOutcome> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const o = this.outcomes[mark];
        if (o) {
          clearTimeout(timer);
          this.waiters.delete(check);
          resolve(o);
        }
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`the backend server saw no connection #${mark + 1} outcome within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  /** The handshake digest of the connection at `mark`; fails with the acceptor's error if it failed. */
  async digestAfter(mark: number, timeoutMs = 5000): Promise<SslDigest> {
    const o = await this.outcomeAfter(mark, timeoutMs);
    if (!o.ok) throw new Error(`the backend refused the handshake: ${o.error.code ?? ''} ${o.error.message}`);
    return o.digest;
  }

  /** The acceptor's error for the connection at `mark`; fails if the handshake succeeded. */
  async errorAfter(mark: number, timeoutMs = 5000): Promise<Error & { code?: string }> {
    const o = await this.outcomeAfter(mark, timeoutMs);
    if (o.ok) {
      const { peerCertificate, ...rest } = digestToJson(o.digest);
      const peer = peerCertificate ? { subject: peerCertificate.subject, issuer: peerCertificate.issuer } : undefined;
      throw new Error(`the backend accepted a handshake it should have refused: ${JSON.stringify({ ...rest, peerCertificate: peer })}`);
    }
    return o.error;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Reads one request head and answers with the digest as JSON; an h2 preface just gets a close. */
function answerHttp(stream: TlsStream): void {
  let head = '';
  const onData = (chunk: Buffer): void => {
    head += chunk.toString('latin1');
    if (head.startsWith('PRI * HTTP/2')) {
      stream.off('data', onData);
      stream.end();
      return;
    }
    if (!head.includes('\r\n\r\n') && !head.includes('\n\n')) return;
    stream.off('data', onData);
    const json = digestToJson(stream.digest);
    const body = JSON.stringify({ ...json, peerCertificate: json.peerCertificate && { ...json.peerCertificate, der: undefined } });
    stream.end(
      `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Connection: close\r\n\r\n${body}`,
    );
  };
  stream.on('data', onData);
}
