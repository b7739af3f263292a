import { realpathSync, watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import { log } from '@proxy/core';

/**
 * One reload for a renewal: certbot and cert-manager replace the certificate and the key within
 * milliseconds of each other (two renames, or one symlink swap), and an editor writes in
 * several steps; events closer together than this make one check.
 */
export const WATCH_DEBOUNCE_MS = 250;

/**
 * `watch: true` on a listener: watches the directories that hold its certificate and key files,
 * not the files themselves. A renewal replaces files rather than writing into them: certbot
 * points `live/NAME/*.pem` symlinks at new files in `archive/`, cert-manager (a Kubernetes
 * secret volume) swaps a `..data` symlink to a new directory, others write a temporary file and
 * rename it over the old one. An inotify watch on a file follows its inode, which such a swap
 * leaves behind; a watch on the directory sees the rename or the symlink change. The directories
 * the files resolve to are watched too (a write in place into the symlink's target), and are
 * looked up again after each change, since a swap moves them.
 *
 * `onChange` runs (debounced) after any event in those directories; it decides whether the
 * files really changed (GatewayReloader compares their contents).
 */
export class CertFileWatcher {
  private readonly watchers = new Map<string, FSWatcher>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly files: readonly string[], private readonly onChange: () => void, private readonly debounceMs = WATCH_DEBOUNCE_MS) {}

  start(): this {
    this.refresh();
    return this;
  }

  /** The directories being watched (tests, log lines). */
  get directories(): string[] {
    return [...this.watchers.keys()];
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }

  /** Watches the directory of each file and of what it resolves to now; drops directories no longer involved. */
  private refresh(): void {
    const wanted = new Set<string>();
    for (const f of this.files) {
      wanted.add(dirname(f));
      try {
        wanted.add(dirname(realpathSync(f)));
      } catch {
        // Missing right now (mid-swap): its directory is watched, and the next event looks again.
      }
    }
    for (const [dir, w] of this.watchers) {
      if (!wanted.has(dir)) {
        w.close();
        this.watchers.delete(dir);
      }
    }
    for (const dir of wanted) {
      if (this.watchers.has(dir)) continue;
      try {
        // Not persistent: a watch never keeps the process alive on its own.
        const w = watch(dir, { persistent: false }, () => this.poke());
        w.on('error', (err) => {
          log.warn(`watching ${dir} for certificate renewals failed; set reload_certs_seconds to poll instead`, err);
          w.close();
          this.watchers.delete(dir);
        });
        this.watchers.set(dir, w);
      } catch (err) {
        log.warn(`cannot watch ${dir} for certificate renewals (this filesystem may not support it); set reload_certs_seconds to poll instead`, err);
      }
    }
  }

  private poke(): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (this.closed) return;
      this.refresh();
      this.onChange();
    }, this.debounceMs);
    this.timer.unref();
  }
}
