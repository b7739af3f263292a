import cluster, { type Worker } from 'node:cluster';
import { log } from '../log.js';

/** Worker messages to the primary about starting. */
export type WorkerStartMessage = { type: 'proxy:listening' } | { type: 'proxy:start-failed'; message: string };

/** The primary's message asking a worker of an older generation to drain and exit. */
export const RETIRE_MESSAGE = 'proxy:retire';

/** How long past its own drain deadline a retiring worker may take before it is killed. */
const RETIRE_MARGIN_MS = 5_000;

/** What an upgrade did: the pids that serve now and the ones draining. */
export interface UpgradeResult {
  workers: number[];
  retired: number[];
}

/**
 * The worker processes of a multi-worker server, in generations. The primary forks a
 * generation with `cluster.fork()`, which loads the program from disk afresh: after a new build
 * (or a changed `threads`), `replace(n)` starts n new workers, waits until every one of them has
 * bound its listeners (node:cluster hands each worker the primary's shared listening handle, so
 * the kernel's queue never closes), and only then asks the old generation to drain
 * (`RETIRE_MESSAGE`: listeners close, in-flight requests finish within
 * graceful_shutdown_timeout_seconds) and exit. A new generation that fails to start is killed
 * and the old one keeps serving. A worker of the current generation that dies is replaced.
 */
export class WorkerPool {
  private current = new Set<Worker>();
  private readonly retiring = new Set<Worker>();
  private stopping = false;

  /** `drainMs`: how long a retiring worker may take (its grace period plus its shutdown timeout). */
  constructor(private readonly drainMs: number) {}

  /** The pids of the generation that serves. */
  get pids(): number[] {
    return [...this.current].map((w) => w.process.pid ?? 0);
  }

  /** The generation that serves. */
  get workers(): Worker[] {
    return [...this.current];
  }

  /** The pids of older workers still draining. */
  get retiringPids(): number[] {
    return [...this.retiring].map((w) => w.process.pid ?? 0);
  }

  /** Forks the first generation; resolves once every worker listens, rejects when one fails. */
  async start(n: number): Promise<void> {
    for (const w of await this.forkGeneration(n)) this.adopt(w);
  }

  /**
   * Graceful upgrade: a new generation of `n` workers running the program now on disk; once all
   * of them listen, the previous generation drains and exits. Rejects (and leaves the running
   * generation serving) when a new worker fails to start.
   */
  async replace(n: number): Promise<UpgradeResult> {
    const fresh = await this.forkGeneration(n);
    const old = [...this.current];
    this.current = new Set();
    for (const w of fresh) this.adopt(w);
    for (const w of old) this.retire(w);
    return { workers: this.pids, retired: old.map((w) => w.process.pid ?? 0) };
  }

  /** Stops every worker (current and draining) gracefully and waits for them to exit. */
  async stop(): Promise<void> {
    this.stopping = true;
    const all = [...this.current, ...this.retiring].filter((w) => !w.isDead());
    await Promise.all(all.map((w) => new Promise<void>((resolve) => {
      w.once('exit', () => resolve());
      w.process.kill('SIGTERM');
    })));
  }

  private adopt(w: Worker): void {
    this.current.add(w);
    w.once('exit', (code, signal) => {
      if (!this.current.delete(w) || this.stopping) return;
      log.error(`worker ${w.process.pid} exited (code ${code}, signal ${signal}); restarting it`);
      const { worker, ready } = this.fork();
      this.adopt(worker);
      ready.catch((err: unknown) => log.error('the replacement worker failed to start', err));
    });
  }

  private retire(w: Worker): void {
    this.retiring.add(w);
    const pid = w.process.pid;
    const deadline = setTimeout(() => {
      log.warn(`worker ${pid} did not drain within ${Math.round((this.drainMs + RETIRE_MARGIN_MS) / 1000)} s; killing it`);
      w.process.kill('SIGKILL');
    }, this.drainMs + RETIRE_MARGIN_MS);
    deadline.unref();
    w.once('exit', (code) => {
      clearTimeout(deadline);
      this.retiring.delete(w);
      log.info(`worker ${pid} (previous generation) drained and exited (code ${code})`);
    });
    if (w.isConnected()) w.send({ type: RETIRE_MESSAGE });
    else w.process.kill('SIGTERM');
  }

  /** Forks `n` workers; resolves when all listen. On a failure the others are killed too. */
  private async forkGeneration(n: number): Promise<Worker[]> {
    const forks = Array.from({ length: n }, () => this.fork());
    // Once one fails the others are killed: their rejections are expected, not unhandled.
    for (const f of forks) f.ready.catch(() => undefined);
    try {
      await Promise.all(forks.map((f) => f.ready));
    } catch (err) {
      for (const { worker } of forks) if (!worker.isDead()) worker.process.kill('SIGKILL');
      throw err;
    }
    return forks.map((f) => f.worker);
  }

  private fork(): { worker: Worker; ready: Promise<void> } {
    const worker = cluster.fork();
    const ready = new Promise<void>((resolve, reject) => {
      const onMessage = (m: WorkerStartMessage): void => {
        if (m?.type === 'proxy:listening') {
          done();
          resolve();
        } else if (m?.type === 'proxy:start-failed') {
          done();
          reject(new Error(`worker ${worker.process.pid} failed to start: ${m.message}`));
        }
      };
      const onExit = (code: number | null): void => {
        done();
        reject(new Error(`worker ${worker.process.pid} exited with code ${code} before listening`));
      };
      const done = (): void => {
        worker.off('message', onMessage);
        worker.off('exit', onExit);
      };
      worker.on('message', onMessage);
      worker.once('exit', onExit);
    });
    return { worker, ready };
  }
}
