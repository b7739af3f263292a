import type { AddressInfo } from 'node:net';
import type { Alpn } from '../tls/alpn.js';
import type { TlsSettings } from '../tls/settings.js';
import type { ConnectionFilter } from '../listeners/connection-filter.js';
import { Listener } from '../listeners/listener.js';
import type { ConnectionLimits } from '../listeners/connection-limits.js';
import type { ServiceApp } from './service-app.js';

export interface ServiceOptions {
  /** ALPN advertised on TLS endpoints whose settings name none (HTTP services: h2, then http/1.1). */
  defaultAlpn?: Alpn;
  /** The built-in connection limits, enforced before the connection filter (httpProxyService: from ServerConf). */
  limits?: ConnectionLimits;
}

/** How often a graceful stop looks whether the handshakes under way have reached the app. */
const HANDSHAKE_POLL_MS = 10;

/** An app served on one or more endpoints (Pingora's Service): several TCP and TLS addresses share one app. */
export class Service {
  private readonly listeners: Listener[] = [];
  private filter: ConnectionFilter | undefined;
  private limits: ConnectionLimits | undefined;
  /** Connections handed to the app and not closed yet (the others are in the filter or the TLS handshake). */
  private atApp = 0;
  /** What the listeners hand connections to: the app, counted (a graceful stop waits for handshakes under way). */
  private readonly counted: ServiceApp;

  constructor(readonly name: string, readonly app: ServiceApp, private readonly options: ServiceOptions = {}) {
    this.limits = options.limits;
    this.counted = {
      handleConnection: (stream, conn) => {
        if (!stream.closed) {
          this.atApp++;
          stream.once('close', () => this.atApp--);
        }
        app.handleConnection(stream, conn);
      },
      shutdown: (graceMs) => app.shutdown(graceMs),
    };
  }

  /** Plain TCP (HTTP without TLS) on "host:port". */
  addTcp(addr: string): this {
    this.listeners.push(new Listener({ addr, tls: undefined }, this.counted, () => this.filter, this.options.defaultAlpn, () => this.limits));
    return this;
  }

  /** TLS on "host:port" with these settings; compiled by the registered backend at start. */
  addTls(addr: string, settings: TlsSettings): this {
    this.listeners.push(new Listener({ addr, tls: settings }, this.counted, () => this.filter, this.options.defaultAlpn, () => this.limits));
    return this;
  }

  /** Replaces the built-in connection limits (undefined: none), shared by every endpoint of this service. */
  setConnectionLimits(limits: ConnectionLimits | undefined): this {
    this.limits = limits;
    return this;
  }

  get connectionLimits(): ConnectionLimits | undefined {
    return this.limits;
  }

  /** The endpoints, in the order they were added (reload replaces their TLS settings). */
  get endpoints(): readonly Listener[] {
    return this.listeners;
  }

  /** Runs on every accepted connection, before any TLS byte. */
  setConnectionFilter(filter: ConnectionFilter): this {
    this.filter = filter;
    return this;
  }

  /** Binds every endpoint; rejects (and unbinds what was bound) if one fails. */
  async start(): Promise<AddressInfo[]> {
    const bound: AddressInfo[] = [];
    try {
      for (const l of this.listeners) bound.push(await l.start());
    } catch (err) {
      for (const l of this.listeners) l.close();
      throw err;
    }
    return bound;
  }

  /** The bound addresses, in the order the endpoints were added (useful with port 0). */
  addresses(): AddressInfo[] {
    return this.listeners.map((l) => l.address).filter((a): a is AddressInfo => a !== undefined);
  }

  /** TCP connections open on this service's endpoints, from accept to close (a socket no session holds still counts). */
  get openSockets(): number {
    return this.listeners.reduce((n, l) => n + l.openSockets, 0);
  }

  /** Stops accepting. */
  closeListeners(): void {
    for (const l of this.listeners) l.close();
  }

  /**
   * Closes the listeners, lets in-flight requests finish for up to graceMs, then cuts what is
   * left. Connections accepted before the listeners closed but still in the connection filter or
   * the TLS handshake are waited for first (within the same graceMs): they reach the app and are
   * served one response with `Connection: close` (or GOAWAY) rather than cut mid-handshake, which
   * a client sees as a reset (a graceful upgrade drains the old workers this way under load).
   */
  async stop(graceMs: number): Promise<void> {
    this.closeListeners();
    const started = Date.now();
    while (this.openSockets - this.atApp > 0 && Date.now() - started < graceMs) {
      await new Promise((r) => setTimeout(r, HANDSHAKE_POLL_MS));
    }
    await this.app.shutdown(Math.max(0, graceMs - (Date.now() - started)));
    for (const l of this.listeners) l.destroyAll();
  }
}
