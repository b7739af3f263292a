import cluster from 'node:cluster';
import { writeFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { log } from '../log.js';
import { ServerConf } from './conf.js';
import type { Service } from './service.js';
import { accessLog } from '../log/access-log.js';
import { MetricsEndpoint } from '../metrics/endpoint.js';
import { metrics } from '../metrics/metrics.js';
import { ReloadCoordinator, type ReloadHandler } from './reload.js';
import { ticketKeyShare } from './ticket-key-share.js';

/** Worker messages to the primary. */
type WorkerMessage = { type: 'proxy:listening' } | { type: 'proxy:start-failed'; message: string };

/**
 * Runs services (Pingora's Server). With `threads: 1` everything runs in this process. With
 * `threads: N` the primary forks N workers running the same program (node:cluster); each binds
 * the same endpoints, which the primary shares, so the kernel's accept spreads connections across
 * cores. SIGTERM/SIGINT stop gracefully: listeners close, in-flight requests finish.
 */
export class Server {
  private readonly services: Service[] = [];
  private stopping: Promise<void> | undefined;
  /** Operations (issue 14): the metrics endpoint and SIGHUP reload. */
  private metricsEndpoint: MetricsEndpoint | undefined;
  private readonly reloader = new ReloadCoordinator(() => this.isSupervisor);

  constructor(readonly conf: ServerConf = new ServerConf()) {
    if (conf.errorLog) log.file = conf.errorLog;
    if (conf.logFormat === 'json') log.format = 'json';
  }

  /** Runs on `reload()` and SIGHUP (in every worker when threads > 1); returns false, after logging why, to refuse. */
  onReload(handler: ReloadHandler): this {
    this.reloader.add(handler);
    return this;
  }

  /** Re-reads what the reload handlers cover; resolves true when every process applied it, false when one refused. */
  reload(): Promise<boolean> {
    return this.reloader.reload();
  }

  /** The bound metrics endpoint, when ServerConf `metrics` is set and this process serves it. */
  get metricsAddress(): AddressInfo | undefined {
    return this.metricsEndpoint?.address;
  }

  private async startOperations(): Promise<void> {
    // Session ticket keys: the primary owns them when there are workers; one process makes its own to rotate them.
    const rotation = this.conf.sessionTicketRotationSeconds;
    if (this.isSupervisor) ticketKeyShare.startPrimary(rotation);
    else if (cluster.isWorker) await ticketKeyShare.startWorker();
    else if (rotation > 0) ticketKeyShare.startLocal(rotation);
    if (!this.isSupervisor) accessLog.configure(this.conf.accessLog, this.conf.logFormat);
    if (this.conf.metrics === undefined) return;
    if (!this.isSupervisor) metrics.enable();
    if (cluster.isPrimary) {
      this.metricsEndpoint = new MetricsEndpoint(this.conf.metrics, this.isSupervisor);
      await this.metricsEndpoint.start();
    }
  }

  addService(service: Service): this {
    this.services.push(service);
    return this;
  }

  /** True in the primary of a multi-worker server: it supervises and serves nothing itself. */
  get isSupervisor(): boolean {
    return this.conf.threads > 1 && cluster.isPrimary;
  }

  /** Binds every service (or, as a supervisor, forks workers and waits until each has bound). */
  async start(): Promise<void> {
    if (this.conf.pidFile && cluster.isPrimary) writeFileSync(this.conf.pidFile, `${process.pid}\n`);
    await this.startOperations();
    if (this.isSupervisor) return this.startWorkers();
    for (const s of this.services) await s.start();
    if (cluster.isWorker) process.send?.({ type: 'proxy:listening' } satisfies WorkerMessage);
  }

  private startWorkers(): Promise<void> {
    const pending = [];
    for (let i = 0; i < this.conf.threads; i++) {
      const worker = cluster.fork();
      pending.push(new Promise<void>((resolve, reject) => {
        worker.on('message', (m: WorkerMessage) => {
          if (m.type === 'proxy:listening') resolve();
          else if (m.type === 'proxy:start-failed') reject(new Error(`worker ${worker.process.pid} failed to start: ${m.message}`));
        });
        worker.once('exit', (code) => reject(new Error(`worker ${worker.process.pid} exited with code ${code} before listening`)));
      }));
    }
    cluster.on('exit', (worker, code, signal) => {
      if (!this.stopping) log.error(`worker ${worker.process.pid} exited (code ${code}, signal ${signal}); restarting it`);
      if (!this.stopping) cluster.fork();
    });
    return Promise.all(pending).then(() => undefined);
  }

  /**
   * Graceful stop: keep accepting for grace_period_seconds, close the listeners, give in-flight
   * requests graceful_shutdown_timeout_seconds, then cut the rest.
   */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    const { gracePeriodSeconds, gracefulShutdownTimeoutSeconds } = this.conf;
    if (this.isSupervisor) {
      const workers = Object.values(cluster.workers ?? {}).filter((w) => w !== undefined);
      await Promise.all(workers.map((w) => new Promise<void>((resolve) => {
        w.once('exit', () => resolve());
        w.process.kill('SIGTERM');
      })));
    } else {
      if (gracePeriodSeconds > 0) await new Promise((r) => setTimeout(r, gracePeriodSeconds * 1000));
      await Promise.all(this.services.map((s) => s.stop(gracefulShutdownTimeoutSeconds * 1000)));
    }
    if (this.conf.pidFile && cluster.isPrimary) rmSync(this.conf.pidFile, { force: true });
    this.reloader.unlisten();
    ticketKeyShare.stop();
    await this.metricsEndpoint?.close();
    await Promise.all([log.flush(), accessLog.flush()]);
  }

  /** Starts, then stops gracefully on SIGTERM or SIGINT and exits the process. */
  async runForever(): Promise<void> {
    const onSignal = (sig: NodeJS.Signals) => {
      log.info(`${sig} received: shutting down gracefully`);
      this.stop().then(() => process.exit(0), (err: unknown) => {
        log.error('shutdown failed', err);
        process.exit(1);
      });
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    this.reloader.listen();
    try {
      await this.start();
    } catch (err) {
      if (cluster.isWorker) process.send?.({ type: 'proxy:start-failed', message: (err as Error).message } satisfies WorkerMessage);
      throw err;
    }
  }
}
