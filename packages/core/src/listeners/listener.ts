import { createServer, type Server as NetServer, type Socket, type AddressInfo } from 'node:net';
import type { Alpn } from '../tls/alpn.js';
import type { ConnectionInfo, TlsAcceptor } from '../tls/backend.js';
import { tlsBackend } from '../tls/registry.js';
import type { TlsSettings } from '../tls/settings.js';
import type { ServiceApp } from '../server/service-app.js';
import { log } from '../log.js';
import { limitCounters } from '../http/limit-counters.js';
import { ConfigError } from '../errors/index.js';
import { parseListenAddress } from './address.js';
import { socketAddress, type ConnectionFilter } from './connection-filter.js';
import { connectionInfo } from './connection-info.js';
import { metrics } from '../metrics/metrics.js';
import { HandshakeObserver } from './handshake-observer.js';
import { ticketKeyShare } from '../server/ticket-key-share.js';

export interface EndpointOptions {
  addr: string;
  /** Absent: plain TCP. */
  tls: TlsSettings | undefined;
}

/**
 * One bound endpoint of a Service: accepts TCP, runs the connection filter before any byte is
 * read (the socket starts paused), the TLS handshake when configured, then hands the stream to
 * the app. Each connection runs on its own promise chain, so a slow filter, a slow certificate
 * hook or a stalled handshake holds up only its own connection.
 */
export class Listener {
  private server: NetServer | undefined;
  private acceptor: TlsAcceptor | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(
    readonly endpoint: EndpointOptions,
    private readonly app: ServiceApp,
    private readonly filter: () => ConnectionFilter | undefined,
    private readonly defaultAlpn: Alpn | undefined,
    /** The built-in limits (ConnectionLimits), run before `filter`. */
    private readonly limits: () => ConnectionFilter | undefined = () => undefined,
  ) {}

  private lastFdWarning = 0;

  /** Compiles the TLS settings (throwing config errors now, not at first connection) and binds. */
  async start(): Promise<AddressInfo> {
    const { tls } = this.endpoint;
    if (tls) {
      if (!tls.alpn && this.defaultAlpn) tls.setAlpn(this.defaultAlpn);
      ticketKeyShare.apply(tls);
      this.acceptor = tlsBackend().createAcceptor(tls);
      this.unsubscribe = ticketKeyShare.onRotate(this.onTicketKeysRotated);
    }
    const { host, port } = parseListenAddress(this.endpoint.addr);
    const server = createServer({ pauseOnConnect: true, noDelay: true, keepAlive: true }, (socket) => this.onConnection(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port, backlog: 4096, exclusive: false }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EMFILE' || err.code === 'ENFILE') {
        // libuv closes the connection it could not accept and the listener carries on; say so once a second at most.
        limitCounters.add('LIMIT_FILE_DESCRIPTORS');
        const now = Date.now();
        if (now - this.lastFdWarning >= 1000) {
          this.lastFdWarning = now;
          log.warn(`listener ${this.endpoint.addr}: out of file descriptors, new connections are being dropped (lower max_connections or raise ulimit -n)`, err);
        }
        return;
      }
      log.error(`listener ${this.endpoint.addr} failed`, err);
    });
    return server.address() as AddressInfo;
  }

  get address(): AddressInfo | undefined {
    return (this.server?.address() as AddressInfo | null) ?? undefined;
  }

  /** TCP connections accepted here and not yet closed, whatever stage they are in (filter, handshake, HTTP). */
  get openSockets(): number {
    return this.sockets.size;
  }

  /**
   * Reload, first half: compiles new TLS settings (throwing TlsConfigError or
   * TlsFeatureUnsupportedError, and changing nothing, when they do not compile) and returns the
   * second half, which makes new handshakes use them. Connections already open keep what they
   * negotiated.
   */
  prepareTls(tls: TlsSettings): () => void {
    if (!this.endpoint.tls) throw new ConfigError(`listener ${this.endpoint.addr} is plain TCP: it has no TLS settings to replace`);
    if (!tls.alpn && this.defaultAlpn) tls.setAlpn(this.defaultAlpn);
    ticketKeyShare.apply(tls);
    const acceptor = tlsBackend().createAcceptor(tls);
    return () => {
      this.acceptor = acceptor;
      this.endpoint.tls = tls;
    };
  }

  private unsubscribe: (() => void) | undefined;

  /** The shared session ticket keys rotated: recompile when this listener uses them. */
  private readonly onTicketKeysRotated = (): void => {
    const tls = this.endpoint.tls;
    if (!tls || !ticketKeyShare.apply(tls)) return;
    try {
      this.prepareTls(tls)();
    } catch (err) {
      log.error(`listener ${this.endpoint.addr}: the rotated session ticket keys were refused; the previous ones stay`, err);
    }
  };

  /** Stops accepting; open connections are left to the app's graceful shutdown. */
  close(): void {
    this.unsubscribe?.();
    // net.Server.close's callback waits for every connection to end; stopping the accept is immediate.
    if (this.server?.listening) this.server.close();
  }

  /** Cuts every connection still open (after the grace period). */
  destroyAll(): void {
    for (const s of this.sockets) s.destroy();
  }

  private onConnection(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    metrics.connectionOpened();
    socket.once('close', () => metrics.connectionClosed(socket.bytesRead, socket.bytesWritten));
    // Errors on a dying socket must not reach the process; the paths below report what matters.
    socket.on('error', noop);
    const info = connectionInfo(socket);
    const limits = this.limits();
    const filter = this.filter();
    if (!filter && !limits) {
      this.afterFilter(socket, info);
      return;
    }
    const peer = socketAddress(socket.remoteAddress ?? '', socket.remotePort ?? 0, socket.remoteFamily ?? 'IPv4');
    const ctx = { localAddr: info.localAddr, state: info.state };
    if (limits) {
      // Synchronous by contract (ConnectionLimits): counted before anything else runs.
      if (limits.filter(peer, ctx) !== true) {
        socket.destroy();
        return;
      }
      socket.once('close', () => limits.connectionClosed?.(peer, ctx));
    }
    if (!filter) {
      this.afterFilter(socket, info);
      return;
    }
    let verdict: boolean | Promise<boolean>;
    try {
      verdict = filter.filter(peer, ctx);
    } catch (err) {
      log.warn(`connection filter threw for ${info.peerAddr}; closing it`, err);
      socket.destroy();
      return;
    }
    const accepted = (): void => {
      if (filter.connectionClosed) socket.once('close', () => filter.connectionClosed?.(peer, ctx));
      this.afterFilter(socket, info);
    };
    if (verdict === true) {
      accepted();
    } else if (verdict === false) {
      socket.destroy();
    } else {
      verdict.then((ok) => (ok ? accepted() : socket.destroy()), (err: unknown) => {
        log.warn(`connection filter failed for ${info.peerAddr}; closing it`, err);
        socket.destroy();
      });
    }
  }

  private afterFilter(socket: Socket, info: ConnectionInfo): void {
    if (socket.destroyed) return;
    if (!this.acceptor) {
      socket.resume();
      this.app.handleConnection(socket, { info, digest: undefined });
      return;
    }
    const observer = new HandshakeObserver(socket, info, this.endpoint.tls!, tlsBackend().name);
    this.acceptor.accept(socket, info).then(
      (stream) => {
        observer.succeeded(stream);
        this.app.handleConnection(stream, { info, digest: stream.digest });
      },
      (err: unknown) => observer.failed(err),
    );
  }
}

function noop(): void {}
