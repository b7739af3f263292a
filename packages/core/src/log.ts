import { appendFileSync } from 'node:fs';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

/**
 * The process-wide logger: one line per event, to stderr or ServerConf.error_log. Never handed
 * key material (key logging has its own 0600 file). PROXY_LOG sets the level (default info).
 */
class Logger {
  level: LogLevel = (process.env['PROXY_LOG'] as LogLevel | undefined) ?? 'info';
  file: string | undefined;

  enabled(level: LogLevel): boolean {
    return RANK[level] <= RANK[this.level];
  }

  error(msg: string, err?: unknown): void { this.write('error', msg, err); }
  warn(msg: string, err?: unknown): void { this.write('warn', msg, err); }
  info(msg: string): void { this.write('info', msg); }
  debug(msg: string, err?: unknown): void { this.write('debug', msg, err); }

  private write(level: LogLevel, msg: string, err?: unknown): void {
    if (!this.enabled(level)) return;
    const e = err as { code?: string; message?: string } | undefined;
    const detail = e ? ` [${e.code ?? 'ERROR'}] ${e.message ?? String(err)}` : '';
    const line = `${new Date().toISOString()} ${level.toUpperCase()} pid=${process.pid} ${msg}${detail}\n`;
    if (this.file) appendFileSync(this.file, line);
    else process.stderr.write(line);
  }
}

export const log = new Logger();
