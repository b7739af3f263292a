import cluster from 'node:cluster';
import { writeFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { log } from '../log.js';
import { TlsFeatureUnsupportedError } from '../errors/index.js';
import { hasTlsBackend, tlsBackend } from '../tls/registry.js';
import { ServerConf } from './conf.js';
import type { Service } from './service.js';
import { accessLog } from '../log/access-log.js';
import { MetricsEndpoint } from '../metrics/endpoint.js';
import { metrics } from '../metrics/metrics.js';
import { ReloadCoordinator, type ReloadHandler } from './reload.js';
import { ticketKeyShare } from './ticket-key-share.js';
import { sessionIdShare } from './session-id-share.js';
import { RETIRE_MESSAGE, WorkerPool, type UpgradeResult, type WorkerStartMessage } from './worker-pool.js';

/**
 * Runs services (Pingora's Server). With `threads: 1` everything runs in this process. With
 * `threads: N` the primary forks N workers running the same program (node:cluster); each binds
 * the same endpoints, which the primary shares, so the kernel's accept spreads connections across
 * cores. SIGTERM/SIGINT stop gracefully: listeners close, in-flight requests finish. SIGUSR2
 * (or `upgrade()`) replaces the workers with new ones running the program now on disk while the
 * old ones drain (WorkerPool); a reload whose ServerConf changes `threads` does the same.
 */
export class Server {
  private readonly services: Service[] = [];
  private stopping: Promise<void> | undefined;
  /** Operations (issue 14): the metrics endpoint and SIGHUP reload. */
  private metricsEndpoint: MetricsEndpoint | undefined;
  private readonly reloader = new ReloadCoordinator(() => this.isSupervisor, () => this.superviseReload());
  /** The workers, in the primary of a multi-worker server. */
  private pool: WorkerPool | undefined;
  /** Re-reads the ServerConf on reload (the primary compares `threads`). */
  private confSource: (() => ServerConf) | undefined;
  private upgradeSignal: (() => void) | undefined;

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

  /**
   * Where a reload finds the new ServerConf (the configuration file): the primary of a
   * multi-worker server reads it to see a changed `threads`, and then replaces the workers
   * (upgrade) instead of forwarding the reload. Throws ConfigError to refuse the reload.
   */
  reloadConfFrom(source: () => ServerConf): this {
    this.confSource = source;
    return this;
  }

  /**
   * Graceful upgrade (SIGUSR2): in the primary of a multi-worker server, starts `threads` new
   * workers (default: as many as now) running the program now on disk; once every one of them
   * listens, the old ones stop accepting, finish their requests within
   * graceful_shutdown_timeout_seconds and exit. Resolves true when the new workers serve; false
   * (logged) when one failed to start, and the old ones keep serving; false in a process that
   * is not a supervisor (threads: 1, or a worker), which has no one to hand its sockets to.
   */
  upgrade(threads?: number): Promise<boolean> {
    if (!this.isSupervisor || !this.pool) {
      log.error('graceful upgrade refused: only the primary of a multi-worker server (threads >= 2) can start new workers; a single process needs a restart');
      return Promise.resolve(false);
    }
    return this.reloader.serialize(async () => {
      let n = threads;
      if (n === undefined && this.confSource) {
        // The new workers read the configuration as it is now: take its `threads` too.
        try {
          n = this.confSource().threads;
        } catch (err) {
          log.error('upgrade refused (the new workers could not start with this configuration), the running workers keep serving:', err);
          return false;
        }
      }
      return this.replaceWorkers(n ?? this.pool!.workers.length);
    });
  }

  /** The pids of the workers serving now (primary of a multi-worker server; empty otherwise). */
  get workerPids(): number[] {
    return this.pool?.pids ?? [];
  }

  private async replaceWorkers(threads: number): Promise<boolean> {
    const pool = this.pool!;
    const before = pool.pids;
    log.info(`upgrade: starting ${threads} new workers (now ${before.length}: ${before.join(', ')})`);
    let result: UpgradeResult;
    try {
      result = await pool.replace(threads);
    } catch (err) {
      log.error(`upgrade refused, the running workers (${before.join(', ')}) keep serving`, err);
      return false;
    }
    const drain = this.conf.gracePeriodSeconds + this.conf.gracefulShutdownTimeoutSeconds;
    log.info(`upgrade applied: ${result.workers.length} workers (${result.workers.join(', ')}) serve; ${result.retired.join(', ')} drain for up to ${drain} s`);
    return true;
  }

  /** A reload in the primary: a changed `threads` replaces the workers; otherwise every worker reloads. */
  private async superviseReload(): Promise<boolean> {
    const pool = this.pool;
    if (!pool) return false;
    if (this.confSource) {
      let next: ServerConf;
      try {
        next = this.confSource();
      } catch (err) {
        log.error('reload refused, the running configuration keeps serving:', err);
        return false;
      }
      if (next.threads !== pool.workers.length) {
        log.info(`threads changed (${pool.workers.length} -> ${next.threads}): replacing the workers`);
        return this.replaceWorkers(next.threads);
      }
    }
    return this.reloader.forwardToWorkers(pool.workers);
  }

  /** The bound metrics endpoint, when ServerConf `metrics` is set and this process serves it. */
  get metricsAddress(): AddressInfo | undefined {
    return this.metricsEndpoint?.address;
  }

  private async startOperations(): Promise<void> {
    // Session ticket keys: the primary owns them when there are workers; one process makes its own to rotate them.
    const rotation = this.conf.sessionTicketRotationSeconds;
    if (rotation > 0 && hasTlsBackend() && !tlsBackend().features.has('session-ticket-keys')) {
      // Rotating keys the backend cannot be given would be a setting silently ignored.
      throw new TlsFeatureUnsupportedError(tlsBackend().name, 'session-ticket-keys', 'session_ticket_rotation_seconds hands the listeners new ticket keys');
    }
    if (this.isSupervisor) ticketKeyShare.startPrimary(rotation);
    else if (cluster.isWorker) await ticketKeyShare.startWorker();
    else if (rotation > 0) ticketKeyShare.startLocal(rotation);
    // The TLS 1.2 session-ID caches of listeners that use sessionIdShare's stores: the primary holds them.
    if (this.isSupervisor) sessionIdShare.startPrimary();
    else if (cluster.isWorker) sessionIdShare.startWorker();
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
    if (cluster.isWorker) {
      process.on('message', this.onRetire);
      process.send?.({ type: 'proxy:listening' } satisfies WorkerStartMessage);
    }
  }

  private startWorkers(): Promise<void> {
    const { gracePeriodSeconds, gracefulShutdownTimeoutSeconds } = this.conf;
    this.pool = new WorkerPool((gracePeriodSeconds + gracefulShutdownTimeoutSeconds) * 1000);
    return this.pool.start(this.conf.threads);
  }

  /** A worker of an older generation was asked to drain (upgrade): stop gracefully and exit. */
  private readonly onRetire = (m: unknown): void => {
    if ((m as { type?: string } | undefined)?.type !== RETIRE_MESSAGE) return;
    process.off('message', this.onRetire);
    log.info('a new generation of workers took over: draining and exiting');
    this.stop().then(() => process.exit(0), (err: unknown) => {
      log.error('drain failed', err);
      process.exit(1);
    });
  };

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
      await this.pool?.stop();
    } else {
      if (gracePeriodSeconds > 0) await new Promise((r) => setTimeout(r, gracePeriodSeconds * 1000));
      await Promise.all(this.services.map((s) => s.stop(gracefulShutdownTimeoutSeconds * 1000)));
    }
    if (this.conf.pidFile && cluster.isPrimary) rmSync(this.conf.pidFile, { force: true });
    this.reloader.unlisten();
    if (this.upgradeSignal) process.off('SIGUSR2', this.upgradeSignal);
    if (cluster.isWorker) process.off('message', this.onRetire);
    ticketKeyShare.stop();
    sessionIdShare.stop();
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
    // SIGUSR2, as nginx's binary upgrade and HAProxy's master-worker reload (docs/operations.md).
    this.upgradeSignal = () => {
      if (cluster.isWorker) return; // the primary's business; a worker ignores it rather than die
      log.info('SIGUSR2 received: graceful upgrade');
      void this.upgrade();
    };
    process.on('SIGUSR2', this.upgradeSignal);
    try {
      await this.start();
    } catch (err) {
      if (cluster.isWorker) process.send?.({ type: 'proxy:start-failed', message: (err as Error).message } satisfies WorkerStartMessage);
      throw err;
    }
  }
}
