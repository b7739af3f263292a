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
import { socketAddress, type ConnectionFilter, type FilterCtx, type SocketAddress } from './connection-filter.js';
import { connectionInfo } from './connection-info.js';
import { metrics } from '../metrics/metrics.js';
import { HandshakeObserver } from './handshake-observer.js';
import { fdGuard, type PausableListener } from './fd-guard.js';
import { awaitClientHello, refuse } from './client-hello-phase.js';
import type { ConnectionLimits } from './connection-limits.js';
import type { ClientHello } from '../tls/client-hello.js';
import { AlertDescription } from '../tls/alerts.js';
import { ClientHelloDeniedError, TlsHandshakeTimeoutError, TlsUnrecognizedNameError } from '../errors/index.js';
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
export class Listener implements PausableListener {
  private server: NetServer | undefined;
  /** What the server bound at start (kept while accepts are paused, and to bind the same port again). */
  private bound: AddressInfo | undefined;
  private paused = false;
  private resuming = false;
  private closed = false;
  private acceptor: TlsAcceptor | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(
    readonly endpoint: EndpointOptions,
    private readonly app: ServiceApp,
    private readonly filter: () => ConnectionFilter | undefined,
    private readonly defaultAlpn: Alpn | undefined,
    /** The built-in limits (ConnectionLimits), run before `filter`. */
    private readonly limits: () => ConnectionLimits | undefined = () => undefined,
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
        // libuv closed the connection it could not accept (and every other one waiting); pause
        // accepting until descriptors are free again. Said once a second at most.
        const now = Date.now();
        if (now - this.lastFdWarning >= 1000) {
          this.lastFdWarning = now;
          log.warn(`listener ${this.endpoint.addr}: out of file descriptors, a new connection was dropped (raise ulimit -n)`, err);
        }
        fdGuard.exhausted();
        return;
      }
      log.error(`listener ${this.endpoint.addr} failed`, err);
    });
    this.bound = server.address() as AddressInfo;
    fdGuard.register(this);
    return this.bound;
  }

  get address(): AddressInfo | undefined {
    return (this.server?.address() as AddressInfo | null) ?? (this.paused ? this.bound : undefined);
  }

  get addr(): string {
    return this.endpoint.addr;
  }

  /**
   * Stops accepting for a while (the file-descriptor guard): the listening socket is closed, so
   * the kernel refuses new clients instead of libuv accepting and dropping them; open
   * connections are not touched. In a cluster worker, the primary stops handing this worker
   * connections (the other workers go on).
   */
  pauseAccepting(): void {
    if (this.paused || this.closed || !this.server?.listening) return;
    this.paused = true;
    this.server.close();
  }

  /** Accepts again on the same address and port (retried every second should the bind fail). */
  resumeAccepting(): void {
    if (!this.paused || this.resuming || this.closed || !this.server || !this.bound) return;
    this.resuming = true;
    const server = this.server;
    const { address: host, port } = this.bound;
    const retry = (err: Error): void => {
      this.resuming = false;
      log.error(`listener ${this.endpoint.addr} could not accept again; retrying in 1 s`, err);
      setTimeout(() => this.resumeAccepting(), 1000).unref();
    };
    server.once('error', retry);
    server.listen({ host, port, backlog: 4096, exclusive: false }, () => {
      server.off('error', retry);
      this.resuming = false;
      this.paused = false;
      if (this.closed) server.close();
    });
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
    this.closed = true;
    fdGuard.unregister(this);
    this.unsubscribe?.();
    // net.Server.close's callback waits for every connection to end; stopping the accept is immediate.
    if (this.server?.listening) this.server.close();
  }

  /** Cuts every connection still open (after the grace period). */
  destroyAll(): void {
    for (const s of this.sockets) s.destroy();
  }

  private onConnection(socket: Socket): void {
    fdGuard.accepted();
    this.sockets.add(socket);
    socket.once('close', () => {
      this.sockets.delete(socket);
      fdGuard.closed();
    });
    metrics.connectionOpened();
    socket.once('close', () => metrics.connectionClosed(socket.bytesRead, socket.bytesWritten));
    // Errors on a dying socket must not reach the process; the paths below report what matters.
    socket.on('error', noop);
    const info = connectionInfo(socket);
    const limits = this.limits();
    const filter = this.filter();
    if (!filter && !limits) {
      this.afterFilter(socket, info, undefined, undefined, undefined);
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
      socket.once('close', () => limits.connectionClosed(peer));
    }
    if (!filter) {
      this.afterFilter(socket, info, limits, undefined, { peer, ctx });
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
      this.afterFilter(socket, info, limits, filter, { peer, ctx });
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

  private afterFilter(
    socket: Socket, info: ConnectionInfo, limits: ConnectionLimits | undefined, filter: ConnectionFilter | undefined,
    filterArgs: { peer: SocketAddress; ctx: FilterCtx } | undefined,
  ): void {
    if (socket.destroyed) return;
    if (!this.acceptor) {
      socket.resume();
      this.app.handleConnection(socket, { info, digest: undefined });
      return;
    }
    // The ClientHello phase: core reads and parses the ClientHello before any backend runs
    // (strict SNI, the per-JA4 limit, the filter's clientHello), then hands the same bytes on.
    const tls = this.endpoint.tls!;
    const observer = new HandshakeObserver(info, tls, tlsBackend().name);
    awaitClientHello(socket, tls.handshakeTimeoutMs, (hello, error) => {
      if (!hello) {
        observer.failed(error);
        return;
      }
      info.clientHello = hello;
      this.onClientHello(socket, info, hello, tls, observer, limits, filter, filterArgs);
    });
  }

  private onClientHello(
    socket: Socket, info: ConnectionInfo, hello: ClientHello, tls: TlsSettings, observer: HandshakeObserver,
    limits: ConnectionLimits | undefined, filter: ConnectionFilter | undefined,
    filterArgs: { peer: SocketAddress; ctx: FilterCtx } | undefined,
  ): void {
    const strict = tls.strictSni;
    if (strict && (hello.serverName === undefined || !strict.has(hello.serverName))) {
      refuse(socket, AlertDescription.unrecognized_name);
      observer.failed(new TlsUnrecognizedNameError(hello.serverName));
      return;
    }
    const checkLimits = limits?.checksClientHello === true;
    if (!checkLimits && !filter?.clientHello) {
      // The common case: nothing looks at the ClientHello before the handshake.
      this.handshake(socket, info, observer);
      return;
    }
    const args = filterArgs ?? {
      peer: socketAddress(socket.remoteAddress ?? '', socket.remotePort ?? 0, socket.remoteFamily ?? 'IPv4'),
      ctx: { localAddr: info.localAddr, state: info.state },
    };
    if (checkLimits && limits) {
      const refused = limits.checkClientHello(hello, args.peer);
      if (refused) {
        socket.destroy();
        observer.failed(refused);
        return;
      }
    }
    if (!filter?.clientHello) {
      this.handshake(socket, info, observer);
      return;
    }
    const deny = (): void => {
      const err = new ClientHelloDeniedError(`the connection filter refused the ClientHello from ${info.peerAddr}`);
      limitCounters.add(err.code);
      refuse(socket, AlertDescription.access_denied);
      observer.failed(err);
    };
    let verdict: boolean | Promise<boolean>;
    try {
      verdict = filter.clientHello(hello, args.peer, args.ctx);
    } catch (err) {
      log.warn(`connection filter (clientHello) threw for ${info.peerAddr}; closing it`, err);
      socket.destroy();
      observer.failed(err);
      return;
    }
    if (verdict === true) {
      this.handshake(socket, info, observer);
    } else if (verdict === false) {
      deny();
    } else {
      // The handshake timeout covers a slow answer too.
      const timer = setTimeout(() => {
        socket.destroy();
        observer.failed(new TlsHandshakeTimeoutError(tls.handshakeTimeoutMs, 'downstream'));
      }, tls.handshakeTimeoutMs);
      verdict.then((ok) => {
        clearTimeout(timer);
        if (socket.destroyed) return;
        if (ok) this.handshake(socket, info, observer);
        else deny();
      }, (err: unknown) => {
        clearTimeout(timer);
        if (socket.destroyed) return;
        log.warn(`connection filter (clientHello) failed for ${info.peerAddr}; closing it`, err);
        socket.destroy();
        observer.failed(err);
      });
    }
  }

  private handshake(socket: Socket, info: ConnectionInfo, observer: HandshakeObserver): void {
    if (socket.destroyed) return;
    this.acceptor!.accept(socket, info).then(
      (stream) => {
        observer.succeeded(stream);
        this.app.handleConnection(stream, { info, digest: stream.digest });
      },
      (err: unknown) => observer.failed(err),
    );
  }
}

function noop(): void {}
