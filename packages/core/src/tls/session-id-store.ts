/**
 * Where a listener keeps its TLS 1.2 session-ID cache when it is not only this process's
 * (TlsSettings.setSessionIdCache with a store): a backend whose session lookup may wait (feature
 * `session-id-cache-shared`) asks it for a session a client offers by id, and hands it every new
 * session. core's `sessionIdShare` makes one that the primary of a multi-worker server holds for
 * every worker.
 *
 * A session is the backend's own serialized form (it holds the master secret): a store keeps it
 * in memory, for its lifetime at most, and never writes it to a log.
 */
export interface SessionIdStore {
  /** Keeps `session` under the id the ServerHello gave it. */
  set(id: Buffer, session: Buffer): void;
  /** The session stored under `id`; undefined when unknown or expired (a full handshake follows). */
  get(id: Buffer): Promise<Buffer | undefined> | Buffer | undefined;
  /**
   * The same lookup answered at once from what this process holds, for a backend whose lookup
   * cannot wait (tls-pure looks sessions up inside its handshake). A store shared by processes
   * keeps a local copy for it: sessions stored by the others arrive shortly after they were
   * made; the first call starts that copy (a backend calls it once when it compiles). Absent:
   * the store has no synchronous answer.
   */
  peek?(id: Buffer): Buffer | undefined;
}
