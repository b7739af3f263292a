import cluster from 'node:cluster';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import promClient from 'prom-client';
import { ConfigError } from '../errors/index.js';
import { parseListenAddress } from '../listeners/address.js';
import { log } from '../log.js';
import { metrics } from './metrics.js';

/**
 * The Prometheus scrape endpoint (`GET /metrics`, plain HTTP). In a single process it serves
 * this process's registry; in the primary of a multi-worker server (`aggregate`), the sum of
 * every worker's, collected over the cluster IPC channel at each scrape.
 */
export class MetricsEndpoint {
  private server: HttpServer | undefined;
  private aggregator: InstanceType<typeof promClient.AggregatorRegistry> | undefined;

  constructor(readonly addr: string, private readonly aggregate: boolean) {}

  async start(): Promise<AddressInfo> {
    let host: string;
    let port: number;
    try {
      ({ host, port } = parseListenAddress(this.addr));
    } catch (err) {
      throw new ConfigError(`metrics: bad listen address ${JSON.stringify(this.addr)}: ${(err as Error).message}`, { cause: err });
    }
    if (this.aggregate && cluster.isPrimary) this.aggregator = new promClient.AggregatorRegistry();
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET' || (path !== '/metrics' && path !== '/')) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: scrape /metrics\n');
        return;
      }
      const body = this.aggregator ? this.aggregator.clusterMetrics() : metrics.scrape();
      body.then((text) => {
        res.writeHead(200, { 'content-type': metrics.contentType }).end(text);
      }, (err: unknown) => {
        log.warn('metrics scrape failed', err);
        res.writeHead(500, { 'content-type': 'text/plain' }).end('scrape failed\n');
      });
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => log.error(`metrics endpoint ${this.addr} failed`, err));
    const a = server.address() as AddressInfo;
    log.info(`metrics on http://${a.address.includes(':') ? `[${a.address}]` : a.address}:${a.port}/metrics`);
    return a;
  }

  get address(): AddressInfo | undefined {
    return (this.server?.address() as AddressInfo | null) ?? undefined;
  }

  close(): Promise<void> {
    const s = this.server;
    if (!s) return Promise.resolve();
    this.server = undefined;
    s.closeAllConnections();
    return new Promise((resolve) => s.close(() => resolve()));
  }
}
