import { readdirSync } from 'node:fs';
import { limitCounters } from '../http/limit-counters.js';
import { log } from '../log.js';
import { metrics } from '../metrics/metrics.js';
import { fileDescriptorLimit } from './connection-limits.js';

/** What the guard pauses and resumes: every listener of the process (descriptors are per process). */
export interface PausableListener {
  readonly addr: string;
  pauseAccepting(): void;
  resumeAccepting(): void;
}

/** How often the descriptors are counted while accepting, far from the limit (ms). */
const COUNT_INTERVAL_MS = 1000;
/** Near the limit: at most this often (ms)... */
const NEAR_COUNT_INTERVAL_MS = 10;
/** ...and never more than 2 % of the time: a count that took t ms waits 50 t before the next one. */
const COUNT_COST_FACTOR = 50;
/** While paused: how often the count is checked to resume. */
const PAUSED_POLL_MS = 200;

/**
 * Keeps the process clear of its file-descriptor limit (the soft RLIMIT_NOFILE) by pausing
 * accepts, as nginx does on EMFILE (it disables accept events for a while): past `pauseAt`
 * open descriptors every listener stops accepting (new clients wait in, or are refused by, the
 * kernel instead of libuv accepting and closing them, which with EMFILE drains the whole
 * backlog); the connections already open carry on; below `resumeAt` the listeners accept again.
 * The headroom left above `pauseAt` is for what open connections still need: upstream sockets,
 * log files, DNS. Counting is a readdir of /proc/self/fd: once a second while accepting, more
 * often when the estimate in between (the last count plus the connections accepted minus those
 * closed since) comes within 1/16 of the limit of the pause mark, but never more than 2 % of the
 * time (a count of 50,000 descriptors takes milliseconds); and at once when the estimate
 * reaches the pause mark. A count skipped for its interval is made by a timer at the end of
 * it, so that a burst of accepts that stops short of the next accept is still counted: libuv
 * meets EMFILE silently (it accepts and closes the backlog and reports nothing to JS), so a
 * process that overshot the mark in one burst would otherwise sit at its limit unpaused.
 * A busy listener pays a counter increment per connection.
 */
export class FdGuard {
  readonly limit: number | undefined;
  readonly pauseAt: number;
  readonly resumeAt: number;
  private readonly listeners = new Set<PausableListener>();
  private lastCount = 0;
  private lastCountAt = 0;
  /** Connections accepted minus connections closed since the last count. */
  private acceptedSinceCount = 0;
  /** A count deferred to the end of its interval (see accepted()). */
  private deferredCount: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private pausedAt = 0;
  /** How long the last count took (ms). */
  private countCost = 0;
  private readonly margin: number;

  constructor(limit = fileDescriptorLimit()) {
    this.limit = limit;
    // Headroom: a quarter of the limit, at least 64 descriptors; resume 1/16 of the limit lower.
    const reserve = limit === undefined ? 0 : Math.max(64, Math.floor(limit / 4));
    this.pauseAt = limit === undefined ? Infinity : Math.max(16, limit - reserve);
    this.resumeAt = limit === undefined ? Infinity : Math.max(8, this.pauseAt - Math.max(16, Math.floor(limit / 16)));
    this.margin = limit === undefined ? 0 : Math.max(8, Math.floor(limit / 16));
  }

  get paused(): boolean {
    return this.pollTimer !== undefined;
  }

  register(l: PausableListener): void {
    this.listeners.add(l);
    if (this.paused) l.pauseAccepting();
  }

  unregister(l: PausableListener): void {
    this.listeners.delete(l);
    if (this.listeners.size === 0 && this.pollTimer) {
      clearInterval(this.pollTimer);
      this.pollTimer = undefined;
    }
  }

  /** Open descriptors of this process; undefined where /proc is not there. */
  static count(): number | undefined {
    try {
      return readdirSync('/proc/self/fd').length - 1; // the directory's own descriptor
    } catch {
      return undefined;
    }
  }

  /** A connection was accepted: one more descriptor; count for real when it is time or the estimate is near the limit. */
  accepted(): void {
    if (this.limit === undefined || this.paused) return;
    this.acceptedSinceCount++;
    const estimate = this.lastCount + this.acceptedSinceCount;
    // At the mark by the estimate alone: count now, whatever the interval (closes are subtracted,
    // so the estimate stays honest and this does not run on every accept of a steady load).
    if (estimate >= this.pauseAt) {
      this.check(Date.now());
      return;
    }
    const now = Date.now();
    const near = estimate >= this.pauseAt - this.margin;
    const wait = Math.max(near ? NEAR_COUNT_INTERVAL_MS : COUNT_INTERVAL_MS, COUNT_COST_FACTOR * this.countCost) - (now - this.lastCountAt);
    if (wait <= 0) {
      this.check(now);
      return;
    }
    if (near && !this.deferredCount) {
      this.deferredCount = setTimeout(() => {
        this.deferredCount = undefined;
        if (!this.paused && this.listeners.size > 0) this.check(Date.now());
      }, wait);
      this.deferredCount.unref();
    }
  }

  /** An accepted connection closed: one descriptor fewer in the estimate. */
  closed(): void {
    if (this.limit === undefined || this.paused) return;
    this.acceptedSinceCount--;
  }

  /** accept() failed with EMFILE/ENFILE: pause now, whatever the count says. */
  exhausted(): void {
    if (this.limit === undefined || this.paused) return;
    this.pause(FdGuard.count() ?? this.limit);
  }

  private check(now: number): void {
    if (this.deferredCount) {
      clearTimeout(this.deferredCount);
      this.deferredCount = undefined;
    }
    const started = performance.now();
    const n = FdGuard.count();
    this.countCost = performance.now() - started;
    this.lastCountAt = now;
    this.acceptedSinceCount = 0;
    if (n === undefined) return;
    this.lastCount = n;
    if (n >= this.pauseAt) this.pause(n);
  }

  private pause(open: number): void {
    limitCounters.add('LIMIT_FILE_DESCRIPTORS');
    metrics.acceptPaused(true);
    this.pausedAt = Date.now();
    log.warn(`${open} file descriptors open of the limit ${this.limit} (ulimit -n): listeners paused, accepting again below ${this.resumeAt}`, undefined, {
      open, limit: this.limit, pause_at: this.pauseAt, resume_at: this.resumeAt,
    });
    for (const l of this.listeners) l.pauseAccepting();
    this.pollTimer = setInterval(this.poll, PAUSED_POLL_MS);
    this.pollTimer.unref();
  }

  private readonly poll = (): void => {
    const n = FdGuard.count();
    if (n === undefined || n >= this.resumeAt) return;
    clearInterval(this.pollTimer);
    this.pollTimer = undefined;
    this.lastCount = n;
    this.lastCountAt = Date.now();
    this.acceptedSinceCount = 0;
    metrics.acceptPaused(false);
    log.info(`${n} file descriptors open of the limit ${this.limit}: listeners accept again after ${Date.now() - this.pausedAt} ms paused`);
    for (const l of this.listeners) l.resumeAccepting();
  };
}

/** The process's guard, shared by every listener. */
export const fdGuard = new FdGuard();
