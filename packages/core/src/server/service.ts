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

/** An app served on one or more endpoints (Pingora's Service): several TCP and TLS addresses share one app. */
export class Service {
  private readonly listeners: Listener[] = [];
  private filter: ConnectionFilter | undefined;
  private limits: ConnectionLimits | undefined;

  constructor(readonly name: string, readonly app: ServiceApp, private readonly options: ServiceOptions = {}) {
    this.limits = options.limits;
  }

  /** Plain TCP (HTTP without TLS) on "host:port". */
  addTcp(addr: string): this {
    this.listeners.push(new Listener({ addr, tls: undefined }, this.app, () => this.filter, this.options.defaultAlpn, () => this.limits));
    return this;
  }

  /** TLS on "host:port" with these settings; compiled by the registered backend at start. */
  addTls(addr: string, settings: TlsSettings): this {
    this.listeners.push(new Listener({ addr, tls: settings }, this.app, () => this.filter, this.options.defaultAlpn, () => this.limits));
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

  /** Closes the listeners, lets in-flight requests finish for up to graceMs, then cuts what is left. */
  async stop(graceMs: number): Promise<void> {
    this.closeListeners();
    await this.app.shutdown(graceMs);
    for (const l of this.listeners) l.destroyAll();
  }
}
