import { runPeer } from './peer-process.js';

/** curl 7.88 (OpenSSL 3 + nghttp2) as an HTTPS client. */

export interface CurlOptions {
  port: number;
  /** Host name in the URL; resolved to 127.0.0.1 with --resolve, so it is also the SNI. */
  host?: string;
  path?: string;
  caFile?: string;
  /** Skip verification (-k). */
  insecure?: boolean;
  http: '1.1' | '2';
  cert?: string;
  key?: string;
  tls?: '1.2' | '1.3';
  timeoutMs?: number;
  extraArgs?: readonly string[];
}

export interface CurlResult {
  code: number | null;
  /** The response body. */
  body: string;
  /** curl's -v trace. */
  trace: string;
  /** ALPN protocol the server accepted, from the trace ("h2", "http/1.1"). */
  alpn: string | undefined;
  /** "TLSv1.3 / TLS_AES_128_GCM_SHA256"-style line from the trace. */
  connection: string | undefined;
  /** HTTP status, 0 when no response. */
  status: number;
}

export async function curl(o: CurlOptions): Promise<CurlResult> {
  const host = o.host ?? 'localhost';
  const args = [
    '-sS', '-v', '--max-time', String(Math.ceil((o.timeoutMs ?? 5000) / 1000)),
    '--resolve', `${host}:${o.port}:127.0.0.1`,
    o.http === '2' ? '--http2' : '--http1.1',
    '-w', '\n%{http_code}',
  ];
  if (o.caFile) args.push('--cacert', o.caFile);
  if (o.insecure) args.push('-k');
  if (o.cert) args.push('--cert', o.cert);
  if (o.key) args.push('--key', o.key);
  if (o.tls) args.push(`--tlsv${o.tls}`, '--tls-max', o.tls);
  args.push(...(o.extraArgs ?? []), `https://${host}:${o.port}${o.path ?? '/'}`);
  const r = await runPeer('curl', args, { timeoutMs: (o.timeoutMs ?? 5000) + 1000 });
  const cut = r.stdout.lastIndexOf('\n');
  return {
    code: r.code,
    body: cut >= 0 ? r.stdout.slice(0, cut) : r.stdout,
    trace: r.stderr,
    alpn: /ALPN: server accepted (\S+)/.exec(r.stderr)?.[1] ?? /ALPN, server accepted to use (\S+)/.exec(r.stderr)?.[1],
    connection: /SSL connection using ([^\n]+)/.exec(r.stderr)?.[1]?.trim(),
    status: Number(r.stdout.slice(cut + 1)) || 0,
  };
}
