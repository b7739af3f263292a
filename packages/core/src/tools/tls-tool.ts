import type { Readable, Writable } from 'node:stream';
import type { SslDigest, TlsVersion } from '../tls/digest.js';
import { InvalidCertError, ProxyError } from '../errors/index.js';

/**
 * The `s_server` / `s_client` test tools every backend's bin exposes
 * (`proxy-tls-openssl s_server -accept 0 -cert c.pem -key k.pem`). Flags are shaped like
 * openssl's so that a reader who knows `openssl s_server` can drive them; this file holds the
 * argument parsing, the shared output format and the dispatch. The tools only use the
 * registered backend (tlsBackend()), so they exercise exactly what an app would run.
 */

export interface SniEntry {
  /** The SNI host name this certificate answers (lower-case). */
  name: string;
  cert: string;
  key: string;
}

export interface SServerOptions {
  /** Host to bind; undefined binds every interface (like openssl). */
  host: string | undefined;
  /** 0 picks a free port; the chosen one is printed as `ACCEPT <port>`. */
  port: number;
  cert: string;
  key: string;
  /** Extra certificates chosen by SNI (-servername NAME -cert2 C -key2 K, repeatable). */
  sni: SniEntry[];
  /** ALPN protocols offered, server preference order. */
  alpn: string[] | undefined;
  minVersion: TlsVersion;
  maxVersion: TlsVersion;
  /** Trust anchors for client certificates. */
  caFile: string | undefined;
  /** -verify N: ask for a client certificate (optional); -Verify N: require one. */
  clientAuth: 'none' | 'optional' | 'required';
  keylogFile: string | undefined;
  /** Answer any HTTP request with a page naming the backend and the negotiated parameters. */
  www: boolean;
  handshakeTimeoutMs: number | undefined;
  /** Exit after this many connections (openssl's -naccept); undefined runs until killed. */
  naccept: number | undefined;
  /** Turn session tickets off (-no_ticket). */
  noTicket: boolean;
}

export interface SClientOptions {
  host: string;
  port: number;
  /** SNI to send; '' sends none. */
  servername: string;
  alpn: string[] | undefined;
  caFile: string | undefined;
  cert: string | undefined;
  key: string | undefined;
  /** Verify the server's chain (default true; -noverify turns it off). */
  verify: boolean;
  /** A name the certificate must match besides the SNI (-verify_hostname). */
  verifyHostname: string | undefined;
  minVersion: TlsVersion;
  maxVersion: TlsVersion;
  keylogFile: string | undefined;
  handshakeTimeoutMs: number | undefined;
  /** Keep the connection open after stdin ends, until the server closes it (openssl's -ign_eof). */
  ignoreEof: boolean;
}

export type TlsToolCommand =
  | { command: 's_server'; options: SServerOptions }
  | { command: 's_client'; options: SClientOptions }
  | { command: 'help' };

/** A command line the tool cannot run; the message says which flag and why. Exit status 2. */
export class TlsToolUsageError extends ProxyError {
  constructor(message: string) {
    super('CONFIG_TOOL_USAGE', message, { source: 'config' });
  }
}

export const TLS_TOOL_USAGE = `usage:
  s_server -accept [HOST:]PORT -cert FILE -key FILE [-servername NAME -cert2 FILE -key2 FILE]...
           [-alpn P1,P2] [-tls1_2 | -tls1_3] [-CAfile FILE (-verify N | -Verify N)]
           [-keylogfile FILE] [-www] [-handshake_timeout MS] [-naccept N] [-no_ticket]
      prints "ACCEPT <port>" once listening, then "HANDSHAKE <digest json>" or
      "ERROR <code> <message>" per failed connection ("STREAM_ERROR ..." for errors after
      the handshake); echoes data back unless -www.
  s_client -connect HOST:PORT [-servername NAME | -noservername] [-alpn P1,P2]
           [-CAfile FILE] [-cert FILE -key FILE] [-verify_hostname NAME] [-noverify]
           [-tls1_2 | -tls1_3] [-keylogfile FILE] [-handshake_timeout MS] [-ign_eof]
      verifies the server by default (system store, or -CAfile), prints "DIGEST <json>",
      then copies stdin to the connection and the connection to stdout.`;

/** Parses a command line (without the node and script names). Throws TlsToolUsageError. */
export function parseTlsToolArgs(argv: readonly string[]): TlsToolCommand {
  const [command, ...rest] = argv;
  switch (command) {
    case 's_server':
      return { command, options: parseServerArgs(rest) };
    case 's_client':
      return { command, options: parseClientArgs(rest) };
    case undefined:
    case 'help':
    case '-h':
    case '-help':
    case '--help':
      return { command: 'help' };
    default:
      throw new TlsToolUsageError(`unknown command ${JSON.stringify(command)}: expected s_server or s_client`);
  }
}

/** Walks flags one by one; `value()` takes the flag's argument or fails naming the flag. */
class ArgCursor {
  private i = 0;
  constructor(private readonly args: readonly string[]) {}
  next(): string | undefined {
    return this.args[this.i++];
  }
  value(flag: string): string {
    const v = this.args[this.i++];
    if (v === undefined) throw new TlsToolUsageError(`${flag} needs a value`);
    return v;
  }
  int(flag: string, min: number, max: number): number {
    const v = this.value(flag);
    const n = Number(v);
    if (!/^\d+$/.test(v) || n < min || n > max) {
      throw new TlsToolUsageError(`${flag} needs an integer in ${min}..${max}, got ${JSON.stringify(v)}`);
    }
    return n;
  }
}

function parseServerArgs(args: readonly string[]): SServerOptions {
  const o: SServerOptions = {
    host: undefined, port: 4433, cert: '', key: '', sni: [], alpn: undefined,
    minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3', caFile: undefined, clientAuth: 'none',
    keylogFile: undefined, www: false, handshakeTimeoutMs: undefined, naccept: undefined, noTicket: false,
  };
  let cert: string | undefined;
  let key: string | undefined;
  let pending: Partial<SniEntry> | undefined;
  const finishSni = (): void => {
    if (!pending) return;
    if (!pending.cert || !pending.key) {
      throw new TlsToolUsageError(`-servername ${pending.name} needs both -cert2 and -key2`);
    }
    o.sni.push(pending as SniEntry);
    pending = undefined;
  };
  const cur = new ArgCursor(args);
  for (let flag = cur.next(); flag !== undefined; flag = cur.next()) {
    switch (flag) {
      case '-accept':
      case '-port': {
        const { host, port } = parseHostPort(cur.value(flag), flag, true);
        o.host = host;
        o.port = port;
        break;
      }
      case '-cert': cert = cur.value(flag); break;
      case '-key': key = cur.value(flag); break;
      case '-servername':
        finishSni();
        pending = { name: cur.value(flag).toLowerCase() };
        break;
      case '-cert2':
      case '-key2': {
        const v = cur.value(flag);
        if (!pending) throw new TlsToolUsageError(`${flag} must follow -servername NAME`);
        if (flag === '-cert2') pending.cert = v;
        else pending.key = v;
        break;
      }
      case '-alpn': o.alpn = parseAlpn(cur.value(flag)); break;
      case '-tls1_2': o.minVersion = o.maxVersion = 'TLSv1.2'; break;
      case '-tls1_3': o.minVersion = o.maxVersion = 'TLSv1.3'; break;
      case '-CAfile': o.caFile = cur.value(flag); break;
      // The depth argument is accepted for openssl compatibility; backends verify full chains.
      case '-verify': cur.int(flag, 0, 100); o.clientAuth = 'optional'; break;
      case '-Verify': cur.int(flag, 0, 100); o.clientAuth = 'required'; break;
      case '-keylogfile': o.keylogFile = cur.value(flag); break;
      case '-www': o.www = true; break;
      case '-handshake_timeout': o.handshakeTimeoutMs = cur.int(flag, 1, 3_600_000); break;
      case '-naccept': o.naccept = cur.int(flag, 1, Number.MAX_SAFE_INTEGER); break;
      case '-no_ticket': o.noTicket = true; break;
      default:
        throw new TlsToolUsageError(`s_server: unknown flag ${JSON.stringify(flag)}`);
    }
  }
  finishSni();
  if (!cert || !key) throw new TlsToolUsageError('s_server needs -cert FILE and -key FILE');
  if (o.clientAuth !== 'none' && !o.caFile) {
    throw new TlsToolUsageError('-verify/-Verify need -CAfile FILE with the CA that issues client certificates');
  }
  o.cert = cert;
  o.key = key;
  return o;
}

function parseClientArgs(args: readonly string[]): SClientOptions {
  let connect: { host: string; port: number } | undefined;
  let servername: string | undefined;
  let noServername = false;
  const o: SClientOptions = {
    host: '', port: 0, servername: '', alpn: undefined, caFile: undefined, cert: undefined, key: undefined,
    verify: true, verifyHostname: undefined, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3',
    keylogFile: undefined, handshakeTimeoutMs: undefined, ignoreEof: false,
  };
  const cur = new ArgCursor(args);
  for (let flag = cur.next(); flag !== undefined; flag = cur.next()) {
    switch (flag) {
      case '-connect': {
        const hp = parseHostPort(cur.value(flag), flag, false);
        connect = { host: hp.host ?? 'localhost', port: hp.port };
        break;
      }
      case '-servername': servername = cur.value(flag); break;
      case '-noservername': noServername = true; break;
      case '-alpn': o.alpn = parseAlpn(cur.value(flag)); break;
      case '-CAfile': o.caFile = cur.value(flag); break;
      case '-cert': o.cert = cur.value(flag); break;
      case '-key': o.key = cur.value(flag); break;
      case '-verify_hostname': o.verifyHostname = cur.value(flag); break;
      case '-noverify': o.verify = false; break;
      // Accepted so that openssl muscle memory works; verification is on anyway.
      case '-verify_return_error': break;
      case '-tls1_2': o.minVersion = o.maxVersion = 'TLSv1.2'; break;
      case '-tls1_3': o.minVersion = o.maxVersion = 'TLSv1.3'; break;
      case '-keylogfile': o.keylogFile = cur.value(flag); break;
      case '-handshake_timeout': o.handshakeTimeoutMs = cur.int(flag, 1, 3_600_000); break;
      case '-ign_eof': o.ignoreEof = true; break;
      default:
        throw new TlsToolUsageError(`s_client: unknown flag ${JSON.stringify(flag)}`);
    }
  }
  if (!connect) throw new TlsToolUsageError('s_client needs -connect HOST:PORT');
  if ((o.cert === undefined) !== (o.key === undefined)) throw new TlsToolUsageError('-cert and -key go together');
  if (servername !== undefined && noServername) throw new TlsToolUsageError('-servername and -noservername exclude each other');
  o.host = connect.host;
  o.port = connect.port;
  // Like openssl: the SNI defaults to the host when it is a name. When only -verify_hostname is
  // given, that name is the one being addressed, so it is sent as SNI too.
  o.servername = noServername ? '' : servername ?? o.verifyHostname ?? (isIpLiteral(connect.host) ? '' : connect.host);
  return o;
}

/** "443", "host:443", "[::1]:443". */
function parseHostPort(v: string, flag: string, hostOptional: boolean): { host: string | undefined; port: number } {
  const m = /^(?:\[([^\]]+)\]:|([^:]*):)?(\d+)$/.exec(v);
  if (!m) throw new TlsToolUsageError(`${flag} needs ${hostOptional ? '[HOST:]PORT' : 'HOST:PORT'}, got ${JSON.stringify(v)}`);
  const host = m[1] ?? (m[2] || undefined);
  const port = Number(m[3]);
  if (port > 65535) throw new TlsToolUsageError(`${flag}: port ${port} is out of range`);
  if (!hostOptional && host === undefined) throw new TlsToolUsageError(`${flag} needs HOST:PORT, got ${JSON.stringify(v)}`);
  return { host, port };
}

function parseAlpn(v: string): string[] {
  const protocols = v.split(',').map((p) => p.trim());
  if (protocols.some((p) => p.length === 0 || Buffer.byteLength(p) > 255)) {
    throw new TlsToolUsageError(`-alpn needs a comma-separated list of protocol names, got ${JSON.stringify(v)}`);
  }
  return protocols;
}

function isIpLiteral(host: string): boolean {
  return /^\d+\.\d+\.\d+\.\d+$/.test(host) || host.includes(':');
}

/** The digest as one JSON line: dates as ISO strings, the DER as base64 (so it survives a pipe). */
export interface SslDigestJson extends Omit<SslDigest, 'peerCertificate'> {
  peerCertificate:
    | (Omit<NonNullable<SslDigest['peerCertificate']>, 'validFrom' | 'validTo' | 'der'> & {
        validFrom: string;
        validTo: string;
        der: string;
      })
    | undefined;
}

export function digestToJson(d: SslDigest): SslDigestJson {
  const pc = d.peerCertificate;
  return {
    ...d,
    peerCertificate: pc && {
      ...pc,
      validFrom: pc.validFrom.toISOString(),
      validTo: pc.validTo.toISOString(),
      der: pc.der.toString('base64'),
    },
  };
}

/** Where a tool reads and writes; the process's streams by default, replaceable in tests. */
export interface TlsToolIo {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
}

/** Line prefixes tests and users grep for. */
export const TOOL_LINE = {
  accept: 'ACCEPT',
  handshake: 'HANDSHAKE',
  /** A failed connection (handshake, or connect on s_client): one per connection. */
  error: 'ERROR',
  /** An error on an established session (a reset, a bad record); not a second connection. */
  streamError: 'STREAM_ERROR',
  digest: 'DIGEST',
  /** JSON details (code, reason, alert, source) of the ERROR or STREAM_ERROR line just before. */
  errorDetail: 'ERROR_DETAIL',
} as const;

/** The error's stable code (ProxyError.code, else Node's errno code, else its class name). */
export function errorCode(err: unknown): string {
  if (err instanceof ProxyError) return err.code;
  const e = err as { code?: unknown; name?: unknown } | undefined;
  if (e && typeof e.code === 'string') return e.code;
  return e && typeof e.name === 'string' ? e.name : 'ERROR';
}

/**
 * The machine-readable details of an error, printed as `ERROR_DETAIL <json>` after each ERROR
 * and STREAM_ERROR line: code, and when known the certificate reason, the TLS alert and the side.
 */
export function errorDetail(err: unknown): { code: string; reason?: string; alert?: number; source?: string } {
  const e = err as { reason?: unknown; alert?: unknown; source?: unknown } | undefined;
  return {
    code: errorCode(err),
    ...(err instanceof InvalidCertError ? { reason: err.reason } : {}),
    ...(typeof e?.alert === 'number' ? { alert: e.alert } : {}),
    ...(err instanceof ProxyError ? { source: err.source } : {}),
  };
}

/** `ERROR <code> <message>` and its ERROR_DETAIL line, for a failed connection. */
export function errorLines(prefix: string, err: unknown): string {
  return `${prefix} ${errorCode(err)} ${errorMessage(err)}\n${TOOL_LINE.errorDetail} ${JSON.stringify(errorDetail(err))}\n`;
}

export function errorMessage(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ');
}

/**
 * Runs `s_server` or `s_client` with the registered backend. Resolves with the exit status:
 * 0 success, 1 a TLS or I/O failure, 2 a usage error. A backend's bin is just
 * `import '@proxy/tls-x'; process.exitCode = await runTlsTool(process.argv.slice(2));`.
 */
export async function runTlsTool(
  argv: readonly string[],
  io: TlsToolIo = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  let cmd: TlsToolCommand;
  try {
    cmd = parseTlsToolArgs(argv);
  } catch (err) {
    io.stderr.write(`${errorMessage(err)}\n${TLS_TOOL_USAGE}\n`);
    return 2;
  }
  try {
    switch (cmd.command) {
      case 'help':
        io.stdout.write(`${TLS_TOOL_USAGE}\n`);
        return 0;
      case 's_server': {
        const { runSServer } = await import('./s-server.js');
        return await runSServer(cmd.options, io);
      }
      case 's_client': {
        const { runSClient } = await import('./s-client.js');
        return await runSClient(cmd.options, io);
      }
    }
  } catch (err) {
    // Configuration problems (bad PEM, unsupported feature) end here with their code.
    io.stderr.write(errorLines(TOOL_LINE.error, err));
    return 1;
  }
}
