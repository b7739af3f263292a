import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CertFileWatcher } from './cert-watch.js';
import {
  ConfigError, errorStatus, log, type HttpPeer, type TlsSettings, type ProxyError, type ProxyHttp, type RequestHead, type ResponseHead, type Server,
  type Service, type Session, type SslDigest,
} from '@proxy/core';
import type { GatewayConfig, ListenerConfig } from './config.js';

/** The per-request context of SwappableApp: the app that took the request, and its own context. */
export interface SwapCtx {
  app: ProxyHttp<unknown>;
  inner: unknown;
}

/**
 * A ProxyHttp whose implementation can be replaced while serving (reload): each request stays
 * with the app that was current when it arrived, to its end; the next request sees the new one.
 */
export class SwappableApp implements ProxyHttp<SwapCtx> {
  constructor(private current: ProxyHttp<unknown>) {}

  get app(): ProxyHttp<unknown> {
    return this.current;
  }

  replace(app: ProxyHttp<unknown>): void {
    this.current = app;
  }

  newCtx(): SwapCtx {
    const app = this.current;
    return { app, inner: app.newCtx() };
  }

  upstreamPeer(session: Session, ctx: SwapCtx): HttpPeer | Promise<HttpPeer> {
    return ctx.app.upstreamPeer(session, ctx.inner);
  }

  earlyRequestFilter(session: Session, ctx: SwapCtx): void | Promise<void> {
    return ctx.app.earlyRequestFilter?.(session, ctx.inner);
  }

  requestFilter(session: Session, ctx: SwapCtx): boolean | Promise<boolean> {
    return ctx.app.requestFilter?.(session, ctx.inner) ?? false;
  }

  connectedToUpstream(session: Session, reused: boolean, peer: HttpPeer, digest: SslDigest | undefined, ctx: SwapCtx): void | Promise<void> {
    return ctx.app.connectedToUpstream?.(session, reused, peer, digest, ctx.inner);
  }

  upstreamRequestFilter(session: Session, upstreamRequest: RequestHead, ctx: SwapCtx): void | Promise<void> {
    return ctx.app.upstreamRequestFilter?.(session, upstreamRequest, ctx.inner);
  }

  upstreamResponseFilter(session: Session, upstreamResponse: ResponseHead, ctx: SwapCtx): void {
    ctx.app.upstreamResponseFilter?.(session, upstreamResponse, ctx.inner);
  }

  responseFilter(session: Session, upstreamResponse: ResponseHead, ctx: SwapCtx): void | Promise<void> {
    return ctx.app.responseFilter?.(session, upstreamResponse, ctx.inner);
  }

  failToConnect(session: Session, peer: HttpPeer, ctx: SwapCtx, error: ProxyError): ProxyError | void {
    return ctx.app.failToConnect?.(session, peer, ctx.inner, error);
  }

  failToProxy(session: Session, error: ProxyError, ctx: SwapCtx): number | Promise<number> {
    return ctx.app.failToProxy ? ctx.app.failToProxy(session, error, ctx.inner) : errorStatus(error);
  }

  logging(session: Session, error: ProxyError | undefined, ctx: SwapCtx): void {
    ctx.app.logging?.(session, error, ctx.inner);
  }
}

export interface GatewayReloadOptions {
  /** Reads the configuration afresh (the YAML file, or the demo's). Throws ConfigError/TlsConfigError. */
  load: () => GatewayConfig;
  /** Where the configuration comes from, for log lines. */
  source: string;
  server: Server;
  service: Service;
  app: SwappableApp;
  config: GatewayConfig;
  /** Builds a listener's TLS settings (reads and checks the certificate and key). */
  tlsSettingsOf: (l: ListenerConfig, config: GatewayConfig) => TlsSettings | undefined;
  /** Builds the routes' ProxyHttp. */
  routesOf: (config: GatewayConfig) => ProxyHttp<unknown>;
}

/**
 * The gateway's reload: re-reads the configuration and every certificate, builds and compiles
 * everything new first, and only then swaps it in (listeners' TLS settings for new handshakes,
 * the route table for new requests). Anything invalid (missing file, not PEM, key mismatch, bad
 * YAML, a changed listener list) refuses the whole reload with one log line and the error's own
 * code; the running configuration keeps serving. ServerConf keys (timeouts, metrics, logs) are
 * read at start only; a changed `threads` is the primary's business (Server.reloadConfFrom: it
 * replaces the workers, which read everything afresh). Certificate renewals (watch, poll) go
 * through checkCertificates, which re-reads the certificates and keys only.
 */
export class GatewayReloader {
  private config: GatewayConfig;
  private pollTimer: NodeJS.Timeout | undefined;
  private watcher: CertFileWatcher | undefined;
  /** The certificate and key files' contents (hashes) when they were last loaded or refused. */
  private fileStamps = '';

  constructor(private readonly o: GatewayReloadOptions) {
    this.config = o.config;
    this.fileStamps = this.stamps();
  }

  /** The handler Server.onReload takes: true when applied, false (logged) when refused. */
  readonly reload = (): boolean => {
    try {
      this.apply();
      return true;
    } catch (err) {
      log.error(`reload of ${this.o.source} refused, the running configuration keeps serving:`, err);
      return false;
    }
  };

  private apply(): void {
    const next = this.o.load();
    const endpoints = this.o.service.endpoints;
    const cur = this.config.listeners;
    if (next.listeners.length !== cur.length || next.listeners.some((l, i) => l.address !== cur[i]!.address || !l.tls !== !cur[i]!.tls)) {
      throw new ConfigError(`${this.o.source}: listeners (addresses, or TLS on/off) changed; that needs a restart`, { file: this.o.source });
    }
    const commits = next.listeners.map((l, i) => {
      const tls = this.o.tlsSettingsOf(l, next);
      return tls ? endpoints[i]!.prepareTls(tls) : undefined;
    });
    const routes = this.o.routesOf(next);
    for (const c of commits) c?.();
    this.o.app.replace(routes);
    this.config = next;
    this.fileStamps = this.stamps();
    if (this.watcher) this.startWatching();
    log.info(`reloaded ${this.o.source}: ${next.listeners.length} listeners, ${next.routes.length} routes; new handshakes and requests use them`);
  }

  /**
   * Certificate renewal (watch, poll): when the listeners' certificate or key files hold
   * something new, re-reads them (and only them: the rest of the configuration file is not
   * looked at) and switches new handshakes to them. A renewal caught half-way (a truncated file,
   * a key that does not match its certificate) is refused in one log line and the current
   * certificates keep serving; the next change is tried again. Returns whether new certificates
   * were applied.
   */
  checkCertificates(trigger: string): boolean {
    const now = this.stamps();
    if (now === this.fileStamps) return false;
    // Remembered even when refused: the same broken files are not tried (and logged) again.
    this.fileStamps = now;
    const endpoints = this.o.service.endpoints;
    const config = this.config;
    try {
      const commits = config.listeners.map((l, i) => {
        const tls = this.o.tlsSettingsOf(l, config);
        return tls ? endpoints[i]!.prepareTls(tls) : undefined;
      });
      for (const c of commits) c?.();
    } catch (err) {
      log.error(`certificate files changed (${trigger}) but were refused, the current certificates keep serving:`, err);
      return false;
    }
    const where = config.listeners.filter((l) => l.tls).map((l) => l.address).join(', ');
    log.info(`certificates reloaded (${trigger}) for ${where}; new handshakes use them`);
    return true;
  }

  /**
   * `reload_certs_seconds: N`: every N seconds, reads the certificate and key files and
   * reloads them when their contents changed (for filesystems where watching does not work).
   */
  startPolling(seconds: number): void {
    this.pollTimer = setInterval(() => this.checkCertificates('poll'), seconds * 1000);
    this.pollTimer.unref();
  }

  /** `watch: true` on listeners: watches their certificate and key files (CertFileWatcher). */
  startWatching(): void {
    this.watcher?.close();
    this.watcher = undefined;
    const files = this.config.listeners.flatMap((l) => (l.tls?.watch ? [l.tls.cert, l.tls.key] : []));
    if (files.length === 0) return;
    this.watcher = new CertFileWatcher(files, () => this.checkCertificates('watch')).start();
    log.info(`watching certificate files for renewals: ${this.watcher.directories.join(', ')}`);
  }

  stop(): void {
    clearInterval(this.pollTimer);
    this.watcher?.close();
  }

  /** A hash of every TLS listener's certificate and key file contents ("missing" for one that cannot be read). */
  private stamps(): string {
    const files = this.config.listeners.flatMap((l) => (l.tls ? [l.tls.cert, l.tls.key] : []));
    const hash = createHash('sha256');
    for (const f of files) {
      hash.update(f).update('\0');
      try {
        hash.update(readFileSync(f));
      } catch {
        hash.update('missing');
      }
      hash.update('\0');
    }
    return hash.digest('hex');
  }
}

/** The `reload_certs_seconds` key (a gateway extension key of ServerConf); undefined when unset. */
export function reloadCertsSeconds(config: GatewayConfig, origin: string): number | undefined {
  const v = config.server.extensions['reload_certs_seconds'];
  if (v === undefined || v === null || v === 0) return undefined;
  if (typeof v !== 'number' || !(v > 0)) throw new ConfigError(`${origin}: reload_certs_seconds must be a positive number, got ${JSON.stringify(v)}`, { file: origin });
  return v;
}
