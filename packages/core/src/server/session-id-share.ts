import cluster, { type Worker } from 'node:cluster';
import type { SessionIdStore } from '../tls/session-id-store.js';

const SET = 'proxy:session-id-set';
const GET = 'proxy:session-id-get';
const FOUND = 'proxy:session-id';
const MIRROR = 'proxy:session-id-mirror';
interface SetMsg { type: typeof SET; ns: string; max: number; id: string; session: string }
interface MirrorMsg { type: typeof MIRROR; ns: string; max: number }
interface GetMsg { type: typeof GET; ns: string; req: number; id: string }
interface FoundMsg { type: typeof FOUND; req: number; session: string | null }

/** How long a session stays in the cache: Node's tls and tls-pure both give sessions 300 s. */
export const SESSION_ID_LIFETIME_S = 300;
/** A lookup the primary has not answered in this long is a miss (a full handshake), never a stall. */
const LOOKUP_TIMEOUT_MS = 1_000;

/** A bounded LRU of sessions by id, each kept `lifetimeS` at most. */
class SessionLru {
  private readonly map = new Map<string, { session: Buffer; storedAt: number }>();

  constructor(public max: number, private readonly lifetimeS: number) {}

  set(id: string, session: Buffer): void {
    this.map.delete(id);
    this.map.set(id, { session, storedAt: Date.now() });
    while (this.map.size > this.max) this.map.delete(this.map.keys().next().value!);
  }

  get(id: string): Buffer | undefined {
    const e = this.map.get(id);
    if (!e) return undefined;
    if (Date.now() - e.storedAt > this.lifetimeS * 1000) {
      this.map.delete(id);
      return undefined;
    }
    return e.session;
  }

  get size(): number {
    return this.map.size;
  }

  /** The sessions not expired, oldest first. */
  *entries(): IterableIterator<[string, Buffer]> {
    const now = Date.now();
    for (const [id, e] of this.map) if (now - e.storedAt <= this.lifetimeS * 1000) yield [id, e.session];
  }
}

/**
 * The TLS 1.2 session-ID cache shared by the workers of a server (as the session ticket keys
 * are, ticket-key-share.ts): the primary holds one bounded LRU per listener name and answers
 * the workers over the cluster IPC channel, so a client that resumes by session ID on another
 * worker (or after a graceful upgrade replaced the workers) resumes. In one process on its own
 * the store is a local LRU. Sessions (serialized by the backend; they carry the master secret)
 * travel only over the IPC channel between the primary and its workers, which never leaves the
 * host, and are never logged.
 *
 * A backend that cannot wait for a lookup (tls-pure) uses the store's `peek`: the worker then
 * asks the primary once for copies of that listener's sessions, and the primary sends it every
 * session any worker stores from then on; `peek` answers from that copy.
 */
export class SessionIdShare {
  private readonly local = new Map<string, SessionLru>();
  private viaPrimary = false;
  private nextReq = 1;
  private readonly pending = new Map<number, { resolve: (s: Buffer | undefined) => void; timer: NodeJS.Timeout }>();
  private workerListener: ((m: unknown) => void) | undefined;
  private primaryListener: ((w: Worker, m: unknown) => void) | undefined;
  /** Worker: listener names whose sessions the primary copies to this process. */
  private readonly mirrored = new Set<string>();
  /** Primary: the workers that keep a copy of each listener's sessions. */
  private readonly mirrorsOf = new Map<string, Set<Worker>>();

  /**
   * The store for the listener called `ns` (its address), bounded to `entries` sessions. In a
   * worker it asks the primary (once `startWorker` ran); elsewhere it keeps them in this process.
   */
  store(ns: string, entries: number): SessionIdStore {
    return {
      set: (id, session) => {
        if (this.viaPrimary) {
          process.send?.({ type: SET, ns, max: entries, id: id.toString('base64'), session: session.toString('base64') } satisfies SetMsg);
        }
        // Kept here too in a lone process, and in a worker that keeps a copy (peek).
        if (!this.viaPrimary || this.mirrored.has(ns)) this.lru(ns, entries).set(id.toString('hex'), session);
      },
      get: (id) => (this.viaPrimary ? this.ask(ns, id) : this.lru(ns, entries).get(id.toString('hex'))),
      peek: (id) => {
        if (this.viaPrimary && !this.mirrored.has(ns)) {
          this.mirrored.add(ns);
          process.send?.({ type: MIRROR, ns, max: entries } satisfies MirrorMsg);
        }
        return this.lru(ns, entries).get(id.toString('hex'));
      },
    };
  }

  /** Sessions held for `ns` in this process (the primary's, or a lone process's). */
  size(ns: string): number {
    return this.local.get(ns)?.size ?? 0;
  }

  private lru(ns: string, entries: number): SessionLru {
    let l = this.local.get(ns);
    if (!l) {
      l = new SessionLru(entries, SESSION_ID_LIFETIME_S);
      this.local.set(ns, l);
    }
    // A reload may have changed the size: the latest wins.
    l.max = entries;
    return l;
  }

  private ask(ns: string, id: Buffer): Promise<Buffer | undefined> {
    const req = this.nextReq++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(req);
        resolve(undefined);
      }, LOOKUP_TIMEOUT_MS);
      timer.unref();
      this.pending.set(req, { resolve, timer });
      process.send?.({ type: GET, ns, req, id: id.toString('base64') } satisfies GetMsg);
    });
  }

  /** The primary of a multi-worker server: holds the caches and answers the workers. */
  startPrimary(): void {
    this.primaryListener = (w, m) => {
      const msg = m as SetMsg | GetMsg | MirrorMsg | undefined;
      if (msg?.type === SET) {
        this.lru(msg.ns, msg.max).set(Buffer.from(msg.id, 'base64').toString('hex'), Buffer.from(msg.session, 'base64'));
        // Copies to the workers that keep one (the one that stored it has it already).
        for (const other of this.mirrorsOf.get(msg.ns) ?? []) {
          if (other === w) continue;
          if (other.isConnected()) other.send(msg);
          else this.mirrorsOf.get(msg.ns)!.delete(other);
        }
      } else if (msg?.type === MIRROR) {
        let set = this.mirrorsOf.get(msg.ns);
        if (!set) this.mirrorsOf.set(msg.ns, (set = new Set()));
        set.add(w);
        this.lru(msg.ns, msg.max);
        // What is stored already, so a worker started later (an upgrade) resumes older sessions too.
        for (const [id, session] of this.local.get(msg.ns)?.entries() ?? []) {
          w.send({ type: SET, ns: msg.ns, max: msg.max, id: Buffer.from(id, 'hex').toString('base64'), session: session.toString('base64') } satisfies SetMsg);
        }
      } else if (msg?.type === GET) {
        const session = this.local.get(msg.ns)?.get(Buffer.from(msg.id, 'base64').toString('hex'));
        if (w.isConnected()) w.send({ type: FOUND, req: msg.req, session: session ? session.toString('base64') : null } satisfies FoundMsg);
      }
    };
    cluster.on('message', this.primaryListener);
  }

  /** A worker: its stores ask the primary from now on. */
  startWorker(): void {
    this.viaPrimary = true;
    this.workerListener = (m: unknown) => {
      const msg = m as FoundMsg | SetMsg | undefined;
      if (msg?.type === SET) {
        // A copy of a session another worker stored (peek).
        if (this.mirrored.has(msg.ns)) this.lru(msg.ns, msg.max).set(Buffer.from(msg.id, 'base64').toString('hex'), Buffer.from(msg.session, 'base64'));
        return;
      }
      if (msg?.type !== FOUND) return;
      const p = this.pending.get(msg.req);
      if (!p) return;
      this.pending.delete(msg.req);
      clearTimeout(p.timer);
      p.resolve(msg.session === null ? undefined : Buffer.from(msg.session, 'base64'));
    };
    process.on('message', this.workerListener);
  }

  stop(): void {
    if (this.workerListener) process.off('message', this.workerListener);
    if (this.primaryListener) cluster.off('message', this.primaryListener);
    this.workerListener = undefined;
    this.primaryListener = undefined;
    this.viaPrimary = false;
    this.mirrored.clear();
    this.mirrorsOf.clear();
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.resolve(undefined);
    }
    this.pending.clear();
  }
}

/** The process's shared session-ID caches. */
export const sessionIdShare = new SessionIdShare();
