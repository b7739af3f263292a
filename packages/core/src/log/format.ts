export type LogFormat = 'text' | 'json';

/** Field names that never reach a log line, whatever a caller passes (key material, credentials). */
const SECRET_FIELD = /(^|_|-)(key|keylog|secret|password|passphrase|token|cookie|authorization|private)($|_|-)|privatekey|keypem/i;

/** Keeps secrets out: a field whose name looks like one is replaced by "[redacted]"; Buffers are never printed. */
export function safeFields(fields: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!fields) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (SECRET_FIELD.test(k)) out[k] = '[redacted]';
    else if (Buffer.isBuffer(v) || v instanceof Uint8Array) out[k] = `[${v.length} bytes]`;
    else out[k] = v;
  }
  return out;
}

/** One log line: JSON (time, level, pid, msg, then the fields) or readable text (key=value pairs). */
export function formatLine(
  format: LogFormat, level: string, msg: string, fields: Record<string, unknown> | undefined, time = new Date(),
): string {
  const f = safeFields(fields);
  if (format === 'json') {
    return `${JSON.stringify({ time: time.toISOString(), level, pid: process.pid, msg, ...f })}\n`;
  }
  let line = `${time.toISOString()} ${level.toUpperCase()} pid=${process.pid} ${msg}`;
  if (f) {
    for (const [k, v] of Object.entries(f)) {
      if (v === undefined) continue;
      const s = typeof v === 'string' ? v : JSON.stringify(v);
      line += ` ${k}=${/[\s"=]/.test(s) || s === '' ? JSON.stringify(s) : s}`;
    }
  }
  return `${line}\n`;
}
