import cluster, { type Worker } from 'node:cluster';
import { log } from '../log.js';

/** What a reload handler reports: true when applied; false (after logging why) when refused. */
export type ReloadHandler = () => boolean | Promise<boolean>;

/** The IPC message a primary sends each worker to reload. */
export const RELOAD_MESSAGE = 'proxy:reload';
const RELOAD_DONE = 'proxy:reload-done';

interface ReloadMsg { type: typeof RELOAD_MESSAGE; id: number }
interface ReloadDoneMsg { type: typeof RELOAD_DONE; id: number; ok: boolean }

/**
 * SIGHUP and `Server.reload()`: runs the registered handlers in this process, or, in the
 * primary of a multi-worker server, asks every worker to run theirs and reports whether all of
 * them applied it. Reloads run one at a time.
 */
export class ReloadCoordinator {
  private readonly handlers: ReloadHandler[] = [];
  private chain: Promise<unknown> = Promise.resolve();
  private nextId = 1;
  private workerListener: ((m: unknown) => void) | undefined;
  private sighup: (() => void) | undefined;

  /**
   * `supervisor`: whether this process is the primary of a multi-worker server. `supervise`: what
   * a reload does there (default: forward it to every worker); Server uses it to resize the
   * worker set when `threads` changed.
   */
  constructor(private readonly supervisor: () => boolean, private readonly supervise?: () => Promise<boolean>) {}

  add(handler: ReloadHandler): void {
    this.handlers.push(handler);
  }

  /** Resolves true when every handler (every worker's) applied the reload. Never rejects. */
  reload(): Promise<boolean> {
    return this.serialize(() => (this.supervisor() ? (this.supervise ? this.supervise() : this.forwardToWorkers()) : this.runHandlers()));
  }

  /** Runs `task` once every reload (or task) queued before it has finished: one change at a time. */
  serialize<T>(task: () => Promise<T>): Promise<T> {
    const run = this.chain.then(task);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async runHandlers(): Promise<boolean> {
    let ok = true;
    for (const h of this.handlers) {
      try {
        if (!(await h())) ok = false;
      } catch (err) {
        log.error('reload refused; the running configuration keeps serving', err);
        ok = false;
      }
    }
    return ok;
  }

  /** The primary's reload: every worker (default: all of them) runs its handlers; true when all applied it. */
  readonly forwardToWorkers = (only?: readonly Worker[]): Promise<boolean> => {
    const all = only ?? Object.values(cluster.workers ?? {}).filter((w) => w !== undefined);
    const workers = all.filter((w) => w.isConnected());
    const id = this.nextId++;
    return Promise.all(workers.map((w) => new Promise<boolean>((resolve) => {
      const onMessage = (m: ReloadDoneMsg): void => {
        if (m?.type !== RELOAD_DONE || m.id !== id) return;
        w.off('message', onMessage);
        w.off('exit', onExit);
        resolve(m.ok);
      };
      const onExit = (): void => {
        w.off('message', onMessage);
        resolve(false);
      };
      w.on('message', onMessage);
      w.once('exit', onExit);
      w.send({ type: RELOAD_MESSAGE, id } satisfies ReloadMsg);
    }))).then((all) => all.every(Boolean));
  };

  /** SIGHUP reloads; in a worker, the primary's reload messages do. */
  listen(): void {
    if (!this.sighup) {
      this.sighup = () => {
        log.info('SIGHUP received: reloading');
        void this.reload().then((ok) => log.info(ok ? 'reload applied' : 'reload not applied (see the error above); the previous configuration keeps serving'));
      };
      process.on('SIGHUP', this.sighup);
    }
    if (cluster.isWorker && !this.workerListener) {
      this.workerListener = (m: unknown) => {
        const msg = m as ReloadMsg | undefined;
        if (msg?.type !== RELOAD_MESSAGE) return;
        void this.reload().then((ok) => process.send?.({ type: RELOAD_DONE, id: msg.id, ok } satisfies ReloadDoneMsg));
      };
      process.on('message', this.workerListener);
    }
  }

  unlisten(): void {
    if (this.sighup) process.off('SIGHUP', this.sighup);
    if (this.workerListener) process.off('message', this.workerListener);
    this.sighup = undefined;
    this.workerListener = undefined;
  }
}
