import cluster, { type Worker } from 'node:cluster';
import { log } from '../log.js';
import { tlsBackend } from '../tls/registry.js';
import type { TlsSettings } from '../tls/settings.js';
import { generateTicketKey } from '../tls/ticket-keys.js';

const REQUEST = 'proxy:ticket-keys?';
const KEYS = 'proxy:ticket-keys';
interface KeysMsg { type: typeof KEYS; keys: string[] }

/**
 * Session ticket keys the primary owns and hands to every worker (or one process makes for
 * itself when it rotates them): newest first, the newest encrypts, the previous one still
 * decrypts for one more rotation period. Listeners whose settings have tickets on and no keys of
 * their own (setTicketKeys, session_ticket_key_files) use them, and recompile when they rotate.
 */
export class TicketKeyShare {
  private keys: Buffer[] | undefined;
  private readonly subscribers = new Set<() => void>();
  /** Settings that took the shared keys (as opposed to keys of their own). */
  private readonly users = new WeakSet<TlsSettings>();
  private timer: NodeJS.Timeout | undefined;
  private warnedNoKeys = false;
  private workerListener: ((m: unknown) => void) | undefined;
  private primaryListener: ((w: Worker, m: unknown) => void) | undefined;

  get current(): readonly Buffer[] | undefined {
    return this.keys;
  }

  /** Gives `tls` the shared keys when it has tickets on and no keys of its own; true when it uses them. */
  apply(tls: TlsSettings): boolean {
    if (!this.keys || !tls.sessionTickets) return false;
    if (tls.ticketKeys !== undefined && !this.users.has(tls)) return false;
    const backend = tlsBackend();
    if (!backend.features.has('session-ticket-keys')) {
      // The backend takes no ticket key from outside: each process seals with its own, and a
      // ticket resumes only on the worker that issued it. Said once; never a refused listener.
      if (!this.warnedNoKeys) {
        this.warnedNoKeys = true;
        log.warn(`the ${backend.name} backend cannot be given session ticket keys: each worker seals tickets with its own key, so a ticket resumes only on the worker that issued it`);
      }
      return false;
    }
    const rotation = backend.features.has('session-ticket-key-rotation');
    tls.setTicketKeys(rotation ? this.keys : this.keys.slice(0, 1));
    this.users.add(tls);
    return true;
  }

  onRotate(fn: () => void): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }

  private set(keys: Buffer[]): void {
    this.keys = keys;
    for (const fn of this.subscribers) fn();
  }

  private rotate(): void {
    this.set([generateTicketKey(), ...(this.keys ?? []).slice(0, 1)]);
  }

  /** Primary of a multi-worker server: makes the keys, answers workers, rotates every `rotationSeconds` (0: never). */
  startPrimary(rotationSeconds: number): void {
    this.set([generateTicketKey()]);
    const send = (w: Worker): void => {
      if (w.isConnected()) w.send({ type: KEYS, keys: this.keys!.map((k) => k.toString('base64')) } satisfies KeysMsg);
    };
    this.primaryListener = (w, m) => {
      if ((m as { type?: string } | undefined)?.type === REQUEST) send(w);
    };
    cluster.on('message', this.primaryListener);
    if (rotationSeconds > 0) {
      this.timer = setInterval(() => {
        this.rotate();
        for (const w of Object.values(cluster.workers ?? {})) if (w) send(w);
        log.info('session ticket keys rotated (sent to every worker)');
      }, rotationSeconds * 1000);
      this.timer.unref();
    }
  }

  /** One process on its own: makes its keys and rotates them. */
  startLocal(rotationSeconds: number): void {
    this.set([generateTicketKey()]);
    this.timer = setInterval(() => {
      this.rotate();
      log.info('session ticket keys rotated');
    }, rotationSeconds * 1000);
    this.timer.unref();
  }

  /** A worker: asks the primary for the keys (resolves once they came) and takes its rotations. */
  startWorker(): Promise<void> {
    return new Promise<void>((resolve) => {
      const timeout = setTimeout(() => {
        log.warn('the primary sent no session ticket keys in 5 s; this worker keeps its own');
        resolve();
      }, 5000);
      this.workerListener = (m: unknown) => {
        const msg = m as KeysMsg | undefined;
        if (msg?.type !== KEYS) return;
        clearTimeout(timeout);
        this.set(msg.keys.map((k) => Buffer.from(k, 'base64')));
        resolve();
      };
      process.on('message', this.workerListener);
      process.send?.({ type: REQUEST });
    });
  }

  stop(): void {
    clearInterval(this.timer);
    if (this.workerListener) process.off('message', this.workerListener);
    if (this.primaryListener) cluster.off('message', this.primaryListener);
    this.workerListener = undefined;
    this.primaryListener = undefined;
  }
}

/** The process's shared ticket keys. */
export const ticketKeyShare = new TicketKeyShare();
