import { Alpn, CertKey, HttpPeer, readPemFile, setRequestRoute, type ProxyHttp, type RequestHead, type Session } from '@proxy/core';
import type { RouteConfig } from './config.js';

/** The config's ALPN names as the Alpn lists they stand for (routes and listeners). */
export const ALPN_BY_NAME = { h1: Alpn.H1, h2: Alpn.H2, h2h1: Alpn.H2H1 } as const;

interface CompiledRoute {
  host: string | undefined;
  wildcardSuffix: string | undefined;
  path: string;
  /** One peer per route, built once: its reuseKey keeps pooled connections per route's TLS options. */
  peer: HttpPeer;
  maxRequestBodyBytes: number | undefined;
}

/** Per request: the peer requestFilter matched, so upstreamPeer need not look again. */
export interface RouteCtx {
  peer: HttpPeer | undefined;
}

/** The gateway's ProxyHttp: the first route whose host and path prefix match picks the upstream. */
export class RouteTable implements ProxyHttp<RouteCtx> {
  private readonly routes: CompiledRoute[];

  constructor(routes: readonly RouteConfig[]) {
    this.routes = routes.map(compileRoute);
    routes.forEach((r, i) => this.labels.set(this.routes[i]!.peer, r.name ?? `${r.host ?? '*'}${r.path}`));
  }

  /** The metrics label of each route (its `name`, else host + path prefix), by its peer. */
  private readonly labels = new Map<HttpPeer, string>();

  newCtx(): RouteCtx {
    return { peer: undefined };
  }

  /** The first matching route; undefined when none matches. */
  private match(host: string, path: string): CompiledRoute | undefined {
    for (const r of this.routes) {
      if (r.host !== undefined && r.host !== host) continue;
      if (r.wildcardSuffix !== undefined && !host.endsWith(r.wildcardSuffix)) continue;
      if (!path.startsWith(r.path)) continue;
      return r;
    }
    return undefined;
  }

  upstreamPeer(session: Session, ctx: RouteCtx): HttpPeer {
    if (ctx.peer) return ctx.peer;
    const host = hostWithoutPort(session.req.authority);
    const peer = this.match(host, session.req.path)?.peer;
    if (!peer) throw new Error(`no route for host ${host} path ${session.req.path}`);
    return peer;
  }

  /** Tells the origin how the client reached us (nginx: proxy_set_header X-Forwarded-Proto $scheme). */
  upstreamRequestFilter(session: Session, upstream: RequestHead): void {
    const d = session.digest;
    upstream.headers.set('x-forwarded-proto', d ? 'https' : 'http');
    if (d) upstream.headers.set('x-proxy-tls', `${d.backend} ${d.version} ${d.cipher} ${d.group ?? '-'} alpn=${d.alpn ?? '-'} resumed=${d.sessionReused ? 'yes' : 'no'}`);
  }

  /** Picks the route once per request (kept in ctx for upstreamPeer); no route answers 404. */
  requestFilter(session: Session, ctx: RouteCtx): boolean {
    const host = hostWithoutPort(session.req.authority);
    const route = this.match(host, session.req.path);
    ctx.peer = route?.peer;
    if (route) session.maxRequestBodyBytes = route.maxRequestBodyBytes;
    if (ctx.peer) setRequestRoute(session, this.labels.get(ctx.peer) ?? '');
    if (ctx.peer) return false;
    session.respond(404, { 'content-type': 'text/plain' }, `no route for ${host}${session.req.path}\n`);
    return true;
  }
}

function compileRoute(r: RouteConfig): CompiledRoute {
  const peer = r.clientCert && r.clientKey
    ? HttpPeer.newMtls(r.upstream, r.sni ?? '', CertKey.fromFiles(r.clientCert, r.clientKey))
    : new HttpPeer(r.upstream, r.tls, r.sni ?? (r.tls ? hostWithoutPort(r.upstream) : ''));
  const o = peer.options;
  o.verifyCert = r.verify;
  o.verifyHostname = r.verifyHostname;
  if (r.ca) o.ca = readPemFile(r.ca, 'upstream CA');
  o.alternativeCn = r.alternativeCn;
  o.alpn = ALPN_BY_NAME[r.alpn];
  if (r.connectionTimeoutMs !== undefined) o.connectionTimeout = r.connectionTimeoutMs;
  if (r.readTimeoutMs !== undefined) o.readTimeout = r.readTimeoutMs;
  const wildcard = r.host?.startsWith('*.') ? r.host.slice(1) : undefined;
  return { host: wildcard ? undefined : r.host, wildcardSuffix: wildcard, path: r.path, peer, maxRequestBodyBytes: r.maxRequestBodyBytes };
}

function hostWithoutPort(authority: string): string {
  if (authority.startsWith('[')) return authority.slice(0, authority.indexOf(']') + 1).toLowerCase();
  const colon = authority.lastIndexOf(':');
  return (colon >= 0 ? authority.slice(0, colon) : authority).toLowerCase();
}
