import cluster from 'node:cluster';
import promClient from 'prom-client';
import type { ProxyError } from '../errors/index.js';
import { InvalidCertError, TlsHandshakeError } from '../errors/index.js';
import { alertName } from '../tls/alerts.js';
import type { SslDigest } from '../tls/digest.js';

const { Counter, Gauge, Histogram, Registry, AggregatorRegistry } = promClient;

/** Handshake and connect latencies: 1 ms to 10 s. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Whole requests: 1 ms to 60 s. */
const REQUEST_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * The proxy's Prometheus metrics: one vocabulary for every TLS backend. Counting is off until
 * `enable()` (the Server calls it when ServerConf `metrics` is set), so a proxy that is not
 * scraped pays one boolean test per event. With `threads > 1` each worker counts in its own
 * registry and the primary sums them at scrape time (prom-client's AggregatorRegistry over the
 * cluster IPC channel).
 */
export class ProxyMetrics {
  readonly registry = new Registry();
  enabled = false;

  readonly handshakes = new Counter({
    name: 'proxy_tls_handshakes_total',
    help: 'Downstream TLS handshakes completed, by backend, protocol version, cipher, key-exchange group, ALPN and resumption',
    labelNames: ['backend', 'version', 'cipher', 'group', 'alpn', 'resumed'] as const,
    registers: [this.registry],
  });
  readonly handshakeFailures = new Counter({
    name: 'proxy_tls_handshake_failures_total',
    help: 'Downstream TLS handshakes that failed, by error code and reason (invalid-certificate reason or alert name)',
    labelNames: ['code', 'reason'] as const,
    registers: [this.registry],
  });
  readonly handshakeDuration = new Histogram({
    name: 'proxy_tls_handshake_duration_seconds',
    help: 'Downstream TLS handshake duration, from the first byte read to the handshake done (failures included)',
    labelNames: ['backend'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly connectionsOpen = new Gauge({
    name: 'proxy_downstream_connections_open',
    help: 'Downstream TCP connections open (any stage: filter, handshake, HTTP)',
    registers: [this.registry],
  });
  readonly connections = new Counter({
    name: 'proxy_downstream_connections_total',
    help: 'Downstream TCP connections accepted',
    registers: [this.registry],
  });
  readonly bytesReceived = new Counter({
    name: 'proxy_downstream_received_bytes_total',
    help: 'Bytes read from downstream sockets (TLS records included), counted when each connection closes',
    registers: [this.registry],
  });
  readonly bytesSent = new Counter({
    name: 'proxy_downstream_sent_bytes_total',
    help: 'Bytes written to downstream sockets (TLS records included), counted when each connection closes',
    registers: [this.registry],
  });
  readonly requests = new Counter({
    name: 'proxy_http_requests_total',
    help: 'Downstream HTTP requests finished, by response status (0: none sent) and route (empty when the app names none)',
    labelNames: ['status', 'route'] as const,
    registers: [this.registry],
  });
  readonly requestDuration = new Histogram({
    name: 'proxy_http_request_duration_seconds',
    help: 'Downstream HTTP request duration, from the request head to the end of the response',
    buckets: REQUEST_BUCKETS,
    registers: [this.registry],
  });
  readonly upstreamConnect = new Histogram({
    name: 'proxy_upstream_connect_duration_seconds',
    help: 'Upstream TCP connect duration',
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly upstreamHandshake = new Histogram({
    name: 'proxy_upstream_tls_handshake_duration_seconds',
    help: 'Upstream TLS handshake duration',
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly poolHits = new Counter({
    name: 'proxy_upstream_pool_hits_total',
    help: 'Upstream connections taken from the keep-alive pool (or an HTTP/2 session shared)',
    registers: [this.registry],
  });
  readonly poolMisses = new Counter({
    name: 'proxy_upstream_pool_misses_total',
    help: 'Upstream connections that had to be opened',
    registers: [this.registry],
  });
  readonly upstreamErrors = new Counter({
    name: 'proxy_upstream_errors_total',
    help: 'Requests that failed on the upstream side, by error code',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });

  readonly limitsReached = new Counter({
    name: 'proxy_limits_reached_total',
    help: 'Times a resource limit was reached (docs/limits.md), by error code: LIMIT_FILE_DESCRIPTORS, HTTP_BODY_TOO_LARGE, ...',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly acceptsPaused = new Gauge({
    name: 'proxy_accept_paused',
    help: '1 while the listeners of this process do not accept because open file descriptors neared the limit',
    registers: [this.registry],
  });

  /** Starts counting; in a cluster worker also answers the primary's scrape requests. */
  enable(): void {
    if (this.enabled) return;
    this.enabled = true;
    if (cluster.isWorker) {
      // Constructing one installs prom-client's worker-side IPC listener.
      new AggregatorRegistry();
      AggregatorRegistry.setRegistries([this.registry]);
    }
  }

  /** The text exposition of this process's metrics. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Zeroes every metric (tests). */
  reset(): void {
    this.registry.resetMetrics();
  }

  // ---- hooks, called by the listener, the connector and the proxy ----

  handshakeDone(d: SslDigest, seconds: number): void {
    if (!this.enabled) return;
    this.handshakes.inc({
      backend: d.backend, version: d.version, cipher: d.cipher, group: d.group ?? '',
      alpn: d.alpn ?? '', resumed: d.sessionReused ? 'true' : 'false',
    });
    this.handshakeDuration.observe({ backend: d.backend }, seconds);
  }

  handshakeFailed(backend: string, err: unknown, seconds: number): void {
    if (!this.enabled) return;
    const { code, reason } = failureLabels(err);
    this.handshakeFailures.inc({ code, reason });
    this.handshakeDuration.observe({ backend }, seconds);
  }

  connectionOpened(): void {
    if (!this.enabled) return;
    this.connections.inc();
    this.connectionsOpen.inc();
  }

  connectionClosed(bytesRead: number, bytesWritten: number): void {
    if (!this.enabled) return;
    this.connectionsOpen.dec();
    if (bytesRead > 0) this.bytesReceived.inc(bytesRead);
    if (bytesWritten > 0) this.bytesSent.inc(bytesWritten);
  }

  requestDone(status: number, route: string | undefined, seconds: number, err: ProxyError | undefined): void {
    if (!this.enabled) return;
    this.requests.inc({ status: String(status), route: route ?? '' });
    this.requestDuration.observe(seconds);
    if (err && err.source === 'upstream') this.upstreamErrors.inc({ code: err.code });
  }

  poolResult(hit: boolean): void {
    if (!this.enabled) return;
    if (hit) this.poolHits.inc();
    else this.poolMisses.inc();
  }

  upstreamConnected(seconds: number): void {
    if (this.enabled) this.upstreamConnect.observe(seconds);
  }

  upstreamHandshakeDone(seconds: number): void {
    if (this.enabled) this.upstreamHandshake.observe(seconds);
  }

  limitReached(code: string, n: number): void {
    if (this.enabled) this.limitsReached.inc({ code }, n);
  }

  acceptPaused(paused: boolean): void {
    if (this.enabled) this.acceptsPaused.set(paused ? 1 : 0);
  }
}

/** The labels of a failed handshake: the stable error code, and the finest reason it carries. */
export function failureLabels(err: unknown): { code: string; reason: string } {
  const code = (err as { code?: unknown } | undefined)?.code;
  let reason = '';
  if (err instanceof InvalidCertError) reason = err.reason;
  else if (err instanceof TlsHandshakeError && err.alert !== undefined) reason = alertName(err.alert);
  return { code: typeof code === 'string' ? code : 'UNKNOWN', reason };
}

/** The process's metrics. */
export const metrics = new ProxyMetrics();

/** Seconds since a `process.hrtime.bigint()` reading. */
export function secondsSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

const routes = new WeakMap<object, string>();

/** Names the route a request took (the `route` label of proxy_http_requests_total). */
export function setRequestRoute(session: object, route: string): void {
  routes.set(session, route);
}

export function requestRoute(session: object): string | undefined {
  return routes.get(session);
}
