import { closeSync, openSync, write, writeSync } from 'node:fs';

/** Bytes kept waiting before new lines are dropped (a stalled disk or pipe must not grow memory without bound). */
const MAX_PENDING_BYTES = 16 * 1024 * 1024;

/**
 * An asynchronous line writer over a file descriptor: lines queue in memory and go out in one
 * `fs.write` per batch on the thread pool, so logging never blocks the event loop on the disk
 * or a full pipe. Whatever is still queued at process exit is written synchronously.
 * Lines beyond MAX_PENDING_BYTES are dropped and counted (`dropped`).
 */
export class AsyncLineWriter {
  private pending: string[] = [];
  private pendingBytes = 0;
  private writing = false;
  private closed = false;
  dropped = 0;
  private readonly onExit = (): void => this.flushSync();

  private constructor(private readonly fd: number, private readonly ownsFd: boolean, readonly target: string) {
    process.once('exit', this.onExit);
  }

  /** "stderr", "stdout", or a file path (opened for appending, created 0640). */
  static open(target: string): AsyncLineWriter {
    if (target === 'stderr') return new AsyncLineWriter(2, false, target);
    if (target === 'stdout') return new AsyncLineWriter(1, false, target);
    return new AsyncLineWriter(openSync(target, 'a', 0o640), true, target);
  }

  /** Queues one line (with its newline). */
  write(line: string): void {
    if (this.closed) return;
    if (this.pendingBytes + line.length > MAX_PENDING_BYTES) {
      this.dropped++;
      return;
    }
    this.pending.push(line);
    this.pendingBytes += line.length;
    if (!this.writing) {
      this.writing = true;
      setImmediate(this.flushAsync);
    }
  }

  private readonly flushAsync = (): void => {
    if (this.pending.length === 0 || this.closed) {
      this.writing = false;
      return;
    }
    const buf = Buffer.from(this.pending.join(''));
    this.pending = [];
    this.pendingBytes = 0;
    this.writeAll(buf, 0);
  };

  private writeAll(buf: Buffer, offset: number): void {
    write(this.fd, buf, offset, buf.length - offset, null, (err, n) => {
      if (err) {
        // EAGAIN on a non-blocking pipe: try again shortly; anything else: the line is lost, not the process.
        if ((err).code === 'EAGAIN') setTimeout(() => this.writeAll(buf, offset), 5);
        else this.flushAsync();
        return;
      }
      if (offset + n < buf.length) this.writeAll(buf, offset + n);
      else this.flushAsync();
    });
  }

  /** Resolves once everything queued so far is written. */
  async flush(): Promise<void> {
    while (this.writing || this.pending.length > 0) await new Promise((r) => setTimeout(r, 2));
  }

  /** Writes what is queued synchronously (process exit). */
  flushSync(): void {
    if (this.pending.length === 0) return;
    const buf = Buffer.from(this.pending.join(''));
    this.pending = [];
    this.pendingBytes = 0;
    try {
      writeSync(this.fd, buf);
    } catch {
      // Exiting: nowhere left to report it.
    }
  }

  close(): void {
    if (this.closed) return;
    this.flushSync();
    this.closed = true;
    process.off('exit', this.onExit);
    if (this.ownsFd) {
      // A write still in flight holds the fd until its callback; close after it.
      const fd = this.fd;
      const done = (): void => {
        try {
          closeSync(fd);
        } catch {
          // already closed
        }
      };
      if (this.writing) setTimeout(done, 50);
      else done();
    }
  }
}
