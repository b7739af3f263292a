import type { ClientHello } from '../tls/client-hello.js';

/** A parsed remote address. */
export interface SocketAddress {
  /** IP address, without brackets. */
  ip: string;
  port: number;
  family: 'IPv4' | 'IPv6';
  /** "ip:port" ("[ip]:port" for IPv6). */
  toString(): string;
}

/** What a filter may stamp on a connection; the session sees it as `session.connection.state`. */
export interface FilterCtx {
  readonly localAddr: string;
  state: Record<string, unknown>;
}

/**
 * Runs on every accepted TCP connection before any TLS byte is read or written (Pingora's
 * ConnectionFilter). Returning false closes the connection at once.
 */
export interface ConnectionFilter {
  filter(peerAddr: SocketAddress, ctx: FilterCtx): boolean | Promise<boolean>;
  /**
   * Optional, TLS listeners only: runs once the ClientHello has arrived and core has parsed it,
   * before any backend sees it (SNI, ALPN offer, versions, groups, cipher suites, JA4/JA3), on
   * every backend alike. Returning false refuses the connection with a fatal `access_denied`
   * alert (code LIMIT_ACCESS_DENIED for the handshakeFailed hook and the metrics); true lets the
   * handshake go on. May be async; a slow answer holds up only this connection (the handshake
   * timeout still runs). `ctx.state` is the same object `filter` stamped.
   */
  clientHello?(hello: ClientHello, peerAddr: SocketAddress, ctx: FilterCtx): boolean | Promise<boolean>;
  /** Optional: called once when a connection this filter accepted closes (for filters that count open connections). */
  connectionClosed?(peerAddr: SocketAddress, ctx: FilterCtx): void;
}

export function socketAddress(ip: string, port: number, family: string): SocketAddress {
  const v6 = family === 'IPv6' || ip.includes(':');
  const text = v6 ? `[${ip}]:${port}` : `${ip}:${port}`;
  return { ip, port, family: v6 ? 'IPv6' : 'IPv4', toString: () => text };
}
