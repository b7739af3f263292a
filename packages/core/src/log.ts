import { formatLine, type LogFormat } from './log/format.js';
import { AsyncLineWriter } from './log/writer.js';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

/**
 * The process-wide logger: one line per event, to stderr or ServerConf.error_log, written
 * asynchronously (AsyncLineWriter; what is queued at exit is flushed). `format` is "text" (a
 * readable line) or "json" (ServerConf log_format: one JSON object per line with time, level,
 * pid, msg and the fields). Never handed key material (key logging has its own 0600 file), and
 * field names that look like secrets are redacted. PROXY_LOG sets the level (default info).
 */
class Logger {
  level: LogLevel = (process.env['PROXY_LOG'] as LogLevel | undefined) ?? 'info';
  format: LogFormat = process.env['PROXY_LOG_FORMAT'] === 'json' ? 'json' : 'text';
  private writer: AsyncLineWriter | undefined;
  private filePath: string | undefined;

  /** The error log file; undefined: stderr. */
  get file(): string | undefined {
    return this.filePath;
  }

  set file(path: string | undefined) {
    if (path === this.filePath) return;
    this.writer?.close();
    this.writer = undefined;
    this.filePath = path;
  }

  enabled(level: LogLevel): boolean {
    return RANK[level] <= RANK[this.level];
  }

  error(msg: string, err?: unknown, fields?: Record<string, unknown>): void { this.write('error', msg, err, fields); }
  warn(msg: string, err?: unknown, fields?: Record<string, unknown>): void { this.write('warn', msg, err, fields); }
  info(msg: string, fields?: Record<string, unknown>): void { this.write('info', msg, undefined, fields); }
  debug(msg: string, err?: unknown, fields?: Record<string, unknown>): void { this.write('debug', msg, err, fields); }

  /** Resolves once every line logged so far is written (tests, shutdown). */
  flush(): Promise<void> {
    return this.writer?.flush() ?? Promise.resolve();
  }

  private write(level: LogLevel, msg: string, err?: unknown, fields?: Record<string, unknown>): void {
    if (!this.enabled(level)) return;
    const e = err as { code?: string; message?: string } | undefined;
    let line: string;
    if (this.format === 'json') {
      line = formatLine('json', level, msg, e ? { ...fields, err: { code: e.code ?? 'ERROR', message: e.message ?? String(err) } } : fields);
    } else {
      const detail = e ? ` [${e.code ?? 'ERROR'}] ${e.message ?? String(err)}` : '';
      line = formatLine('text', level, `${msg}${detail}`, fields);
    }
    this.writer ??= AsyncLineWriter.open(this.filePath ?? 'stderr');
    this.writer.write(line);
  }
}

export const log = new Logger();
