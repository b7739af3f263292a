import net from 'node:net';
import type { Duplex } from 'node:stream';
import type { X509Certificate } from 'node:crypto';
import { ConnectError, ProxyError, TimeoutError, TlsHandshakeError } from '../errors/index.js';
import type { TlsClientOptions, TlsStream } from '../tls/backend.js';
import type { CertKey } from '../tls/cert-key.js';
import { tlsClientOptions } from '../tls/client-options.js';
import type { SslDigest } from '../tls/digest.js';
import { parseCertificates, readPemFile } from '../tls/pem.js';
import { ConnectorConfigCache } from './config-cache.js';
import { H1Connection } from './h1-client.js';
import { upstreamReadBuffer } from './read-buffer.js';
import { H2Connection } from './h2-client.js';
import { certKeyId, type HttpPeer } from './peer.js';
import { ConnectionPool, type UpstreamConnection } from './pool.js';
import { metrics, secondsSince } from '../metrics/metrics.js';

export interface ConnectorOptions {
  /** PEM file whose certificates are the default trust store (ServerConf ca_file); undefined: the system's. */
  caFile?: string | undefined;
  /** LRU size of compiled TLS client configs (ServerConf s2n_config_cache_size); 0 disables. */
  configCacheSize?: number;
  /** Idle upstream connections kept (ServerConf upstream_keepalive_pool_size). */
  poolSize?: number;
  /** Presented to upstreams that ask for a client certificate, unless the peer has its own. */
  defaultClientCertKey?: CertKey | undefined;
  /** connectionTimeout of peers that set none (ServerConf upstream_connect_timeout_ms); undefined: none. */
  defaultConnectTimeoutMs?: number | undefined;
}

const noop = (): void => {};
const hit = (c: UpstreamConnection): UpstreamConnection => {
  metrics.poolResult(true);
  return c;
};

/**
 * Gets a connection to a peer: a pooled one when `peer.reuseKey()` has one, else TCP connect
 * plus the registered TLS backend's connector (compiled once per option set, cached).
 */
export class Connector {
  readonly pool: ConnectionPool;
  readonly configCache: ConnectorConfigCache;
  private readonly defaultCa: { certs: readonly X509Certificate[]; pem: string } | undefined;
  private readonly defaultClientCertKey: CertKey | undefined;
  /** In-flight connects to peers that may speak h2: later requests wait to share the session. */
  private readonly pendingH2 = new Map<string, Promise<UpstreamConnection>>();
  /** Peers that offered h2 but were answered with HTTP/1.1: their connects need not wait for each other. */
  private readonly h1Only = new Set<string>();
  private readonly defaultConnectTimeoutMs: number | undefined;

  constructor(options: ConnectorOptions = {}) {
    this.pool = new ConnectionPool(options.poolSize ?? 128);
    this.configCache = new ConnectorConfigCache(options.configCacheSize ?? 10);
    this.defaultClientCertKey = options.defaultClientCertKey;
    this.defaultConnectTimeoutMs = options.defaultConnectTimeoutMs;
    if (options.caFile) {
      const pem = readPemFile(options.caFile, 'CA').toString('latin1');
      this.defaultCa = { certs: parseCertificates(pem, options.caFile, 'CA certificate'), pem };
    }
  }

  /**
   * A connection for `peer`; synchronous on a pool hit. `conn.uses > 1` after the caller
   * starts its request means the connection was reused.
   */
  acquire(peer: HttpPeer): UpstreamConnection | Promise<UpstreamConnection> {
    const key = peer.reuseKey();
    const h2 = this.pool.findH2(key);
    if (h2 !== undefined) return hit(h2);
    const h1 = this.pool.takeH1(key);
    if (h1 !== undefined) return hit(h1);
    // Only a connection that may turn out h2 is worth waiting for (TLS offering h2, or h2c).
    const mayBeH2 = peer.useTls ? peer.options.alpn.protocols.includes('h2') : peer.options.alpn.kind === 'H2';
    if (mayBeH2 && !this.h1Only.has(key)) {
      const pending = this.pendingH2.get(key);
      if (pending) return pending.then(() => this.acquire(peer), () => this.connect(peer, key));
      const p = this.connect(peer, key);
      this.pendingH2.set(key, p);
      const clear = (): void => {
        if (this.pendingH2.get(key) === p) this.pendingH2.delete(key);
      };
      p.then((conn) => {
        clear();
        if (conn.protocol === 'h1' && this.h1Only.size < 10_000) this.h1Only.add(key);
      }, clear);
      return p;
    }
    return this.connect(peer, key);
  }

  /** Gives back an HTTP/1.1 connection after its exchange: parked when clean, else closed. */
  release(conn: H1Connection, peer: HttpPeer): void {
    this.pool.putH1(conn, peer.options.idleTimeout);
  }

  /** Closes pooled connections; in-flight ones finish on their own. */
  close(): void {
    this.pool.close();
  }

  /** The TLS client options a peer compiles to, and the cache key naming them exactly. */
  tlsOptionsFor(peer: HttpPeer): { key: string; options: TlsClientOptions } {
    const o = peer.options;
    const certKey = o.clientCertKey ?? this.defaultClientCertKey;
    const ownCa = o.caCertificates;
    // TLS 1.2-1.3, no key log, and no handshake timer: timeouts are enforced here, per phase,
    // so they do not split the config cache.
    const options = tlsClientOptions({
      verifyCert: o.verifyCert,
      verifyHostname: o.verifyHostname,
      ca: ownCa ?? this.defaultCa?.certs,
      caPem: ownCa ? o.ca : this.defaultCa?.pem,
      alternativeCn: o.alternativeCn,
      alpn: o.alpn,
      clientCertKey: certKey,
      sessionResumption: o.sessionResumption,
    });
    const key = `${o.verifyCert ? 1 : 0}${o.verifyHostname ? 1 : 0}${o.sessionResumption ? 1 : 0}|${o.alternativeCn ?? ''}|${ownCa ? o.caKey : 'default'}|${
      certKey ? certKeyId(certKey) : ''}|${o.alpn.toString()}`;
    return { key, options };
  }

  private connect(peer: HttpPeer, key: string): Promise<UpstreamConnection> {
    const o = peer.options;
    const addr = peer.address;
    return new Promise<UpstreamConnection>((resolve, reject) => {
      let settled = false;
      let phaseTimer: NodeJS.Timeout | undefined;
      let totalTimer: NodeJS.Timeout | undefined;
      let tlsStream: TlsStream | undefined;
      const connMs = o.connectionTimeout ?? this.defaultConnectTimeoutMs;
      const totalMs = o.totalConnectionTimeout;

      const fail = (err: ProxyError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(phaseTimer);
        clearTimeout(totalTimer);
        tlsStream?.destroy();
        socket.destroy();
        reject(err);
      };
      const succeed = (conn: UpstreamConnection): void => {
        if (settled) {
          conn.destroy();
          return;
        }
        settled = true;
        clearTimeout(phaseTimer);
        clearTimeout(totalTimer);
        resolve(conn);
      };

      metrics.poolResult(false);
      const connectStart = process.hrtime.bigint();
      // Plain-TCP HTTP/1.1 reads into the shared buffer (see upstreamReadBuffer); TLS and h2c
      // connections keep net's own per-read buffers, since their readers may keep the bytes.
      const plainH1 = !peer.useTls && o.alpn.kind !== 'H2';
      let h1: H1Connection | undefined;
      const socket = plainH1
        ? net.connect({
          host: peer.host,
          port: peer.port,
          onread: {
            buffer: upstreamReadBuffer(),
            // The connection exists from 'connect' on, before any read; a read without one is dropped with the socket.
            callback: (nread: number, buf: Buffer): boolean => {
              if (h1 !== undefined) return h1.onBorrowedRead(nread, buf);
              socket.destroy();
              return false;
            },
          },
        })
        : net.connect({ host: peer.host, port: peer.port });
      socket.setNoDelay(true);
      if (totalMs) {
        totalTimer = setTimeout(() => fail(new TimeoutError('totalConnection', totalMs, 'upstream')), totalMs);
      }
      /** connectionTimeout limits the TCP connect and then, separately, the TLS handshake. */
      const startPhaseTimer = (phase: string): void => {
        if (!connMs) return;
        phaseTimer = setTimeout(() => {
          const err = new TimeoutError('connection', connMs, 'upstream');
          err.message = `${phase} ${addr} timed out after ${connMs} ms (connectionTimeout)`;
          fail(err);
        }, connMs);
      };
      /** The session is shared through the pool as soon as it is up. */
      const openH2 = (transport: Duplex, digest: SslDigest | undefined): void => {
        H2Connection.open(transport, key, digest, addr, o.maxH2Streams, peer.useTls).then((c) => {
          this.pool.addH2(c, o.idleTimeout);
          succeed(c);
        }, (e: unknown) => fail(asProxyError(e, addr)));
      };
      startPhaseTimer('TCP connect to');
      socket.once('error', (err: NodeJS.ErrnoException) => fail(connectError(err, addr)));
      socket.once('connect', () => {
        clearTimeout(phaseTimer);
        metrics.upstreamConnected(secondsSince(connectStart));
        socket.removeAllListeners('error');
        // The TLS layer or the HTTP client reports errors from here on; keep the raw socket from throwing.
        socket.on('error', noop);
        if (!peer.useTls) {
          if (o.alpn.kind === 'H2') {
            // h2c with prior knowledge: plain TCP peers only speak h2 when told to.
            openH2(socket, undefined);
            return;
          }
          h1 = new H1Connection(socket, key, undefined, addr, plainH1);
          succeed(h1);
          return;
        }
        let connector;
        try {
          const { key: configKey, options } = this.tlsOptionsFor(peer);
          connector = this.configCache.get(configKey, options);
        } catch (e) {
          fail(asProxyError(e, addr));
          return;
        }
        startPhaseTimer('TLS handshake with');
        const handshakeStart = process.hrtime.bigint();
        connector.connect(socket, { sni: peer.sni, addr }).then((tls) => {
          if (settled) {
            tls.destroy();
            return;
          }
          metrics.upstreamHandshakeDone(secondsSince(handshakeStart));
          tlsStream = tls;
          clearTimeout(phaseTimer);
          if (tls.digest.alpn === 'h2') {
            openH2(tls, tls.digest);
            return;
          }
          succeed(new H1Connection(tls, key, tls.digest, addr));
        }, (e: unknown) => fail(asProxyError(e, addr)));
      });
    });
  }
}

function connectError(err: NodeJS.ErrnoException, addr: string): ConnectError {
  if (err.code === 'ECONNREFUSED') return new ConnectError(`connection refused by ${addr}`, { cause: err, code: 'UPSTREAM_CONNECT_REFUSED' });
  return new ConnectError(`cannot connect to ${addr}: ${err.code ?? err.message}`, { cause: err });
}

function asProxyError(e: unknown, addr: string): ProxyError {
  if (e instanceof ProxyError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  return new TlsHandshakeError(`TLS handshake with ${addr} failed: ${msg}`, { source: 'upstream', cause: e });
}
