import cluster from 'node:cluster';
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

  constructor(private readonly supervisor: () => boolean) {}

  add(handler: ReloadHandler): void {
    this.handlers.push(handler);
  }

  /** Resolves true when every handler (every worker's) applied the reload. Never rejects. */
  reload(): Promise<boolean> {
    const run = this.chain.then(() => (this.supervisor() ? this.reloadWorkers() : this.runHandlers()));
    this.chain = run;
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

  private reloadWorkers(): Promise<boolean> {
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is NonNullable<typeof w> => w !== undefined && w.isConnected());
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
  }

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
