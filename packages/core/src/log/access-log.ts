import type { ProxyError } from '../errors/index.js';
import type { Session } from '../proxy/session.js';
import { formatLine, type LogFormat } from './format.js';
import { AsyncLineWriter } from './writer.js';

/**
 * One line per finished request (ServerConf access_log: "off", "stderr", "stdout" or a file
 * path; log_format picks JSON or text): time, client address, SNI, TLS version, cipher, ALPN,
 * the client's JA4 and JA3 fingerprints (from the ClientHello core parsed), method, authority,
 * path, status, response body bytes, upstream, duration, error code.
 * Written asynchronously. Never carries headers, certificates or key material.
 */
class AccessLog {
  private writer: AsyncLineWriter | undefined;
  format: LogFormat = 'text';

  get enabled(): boolean {
    return this.writer !== undefined;
  }

  /** "off" (or undefined) stops it. */
  configure(target: string | undefined, format: LogFormat): void {
    this.format = format;
    if (this.writer && this.writer.target === target) return;
    this.writer?.close();
    this.writer = target === undefined || target === 'off' ? undefined : AsyncLineWriter.open(target);
  }

  request(session: Session, err: ProxyError | undefined, seconds: number, bytes: number, upstream: string | undefined): void {
    const w = this.writer;
    if (!w) return;
    const d = session.digest;
    const req = session.req;
    const hello = d?.clientHello ?? session.connection.clientHello;
    w.write(formatLine(this.format, 'info', 'access', {
      client: session.clientAddr,
      sni: d?.sni ?? undefined,
      tls_version: d?.version,
      cipher: d?.cipher,
      alpn: d?.alpn ?? undefined,
      ja4: hello?.ja4,
      ja3: hello?.ja3,
      method: req.method,
      authority: req.authority,
      path: req.path,
      status: session.responseStatus,
      bytes,
      upstream,
      duration_ms: Math.round(seconds * 1e6) / 1e3,
      error: err?.code,
    }));
  }

  flush(): Promise<void> {
    return this.writer?.flush() ?? Promise.resolve();
  }
}

export const accessLog = new AccessLog();
