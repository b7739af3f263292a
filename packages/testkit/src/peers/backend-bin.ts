import type { SslDigestJson } from '@proxy/core/tools';
import type { PeerProcess} from './peer-process.js';
import { runPeer, startPeer } from './peer-process.js';

/**
 * A backend's own bin (`proxy-tls-openssl s_server|s_client ...`, see @proxy/core/tools) in a
 * separate process: the backend talking to itself across a real socket, and to the other
 * backends in the interop matrix.
 */

/** What a bin prints on an ERROR_DETAIL line. */
export interface BinErrorDetail {
  code: string;
  reason?: string;
  alert?: number;
  source?: string;
}

export interface BinServer {
  port: number;
  process: PeerProcess;
  /** Digests printed so far (one HANDSHAKE line per accepted connection). */
  handshakes(): SslDigestJson[];
  /** Error codes printed so far (one ERROR line per failed connection). */
  errors(): string[];
  /** The ERROR_DETAIL of each failed connection so far (code, reason, alert, source), in order. */
  errorDetails(): BinErrorDetail[];
  /** Connections reported so far, as handshakes or errors. */
  connections(): number;
  /** Waits until `n` connections have been reported, as handshakes or errors. */
  waitForConnections(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Starts `<bin> s_server -accept 127.0.0.1:0 ...args`, resolving once it prints `ACCEPT <port>`. */
export async function binServer(binPath: string, args: readonly string[], readyTimeoutMs = 10_000): Promise<BinServer> {
  const { process: p, match } = await startPeer(
    process.execPath, [binPath, 's_server', '-accept', '127.0.0.1:0', ...args], /^ACCEPT (\d+)$/m, readyTimeoutMs, 'stdout',
  );
  const lines = (prefix: string): string[] =>
    p.stdout.split('\n').filter((l) => l.startsWith(`${prefix} `)).map((l) => l.slice(prefix.length + 1));
  const connections = (): number => lines('HANDSHAKE').length + lines('ERROR').length;
  return {
    port: Number(match[1]),
    process: p,
    handshakes: () => lines('HANDSHAKE').map((l) => JSON.parse(l) as SslDigestJson),
    errors: () => lines('ERROR').map((l) => l.split(' ')[0]!),
    errorDetails: () => lines('ERROR_DETAIL').map((l) => JSON.parse(l) as BinErrorDetail),
    connections,
    waitForConnections: async (n, timeoutMs = 5000) => {
      const deadline = Date.now() + timeoutMs;
      while (connections() < n) {
        if (Date.now() > deadline || !p.running) {
          throw new Error(`${p.describe()} reported fewer than ${n} connections:\n${p.output}`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close: () => p.kill(),
  };
}

export interface BinClientResult {
  code: number | null;
  stdout: string;
  stderr: string;
  digest: SslDigestJson | undefined;
  /** The error code of a failed connection (the first word after ERROR). */
  errorCode: string | undefined;
  /** Its ERROR_DETAIL: code, reason, alert, source. */
  error: BinErrorDetail | undefined;
  /** What the server sent, i.e. stdout after the DIGEST line. */
  received: string;
}

/** Runs `<bin> s_client -connect 127.0.0.1:<port> ...args` with `input` on stdin, to completion. */
export async function binClient(
  binPath: string, port: number, args: readonly string[], input = '', timeoutMs = 10_000,
): Promise<BinClientResult> {
  const r = await runPeer(process.execPath, [binPath, 's_client', '-connect', `127.0.0.1:${port}`, ...args], {
    stdin: input, timeoutMs,
  });
  const m = /^DIGEST (.*)\n/m.exec(r.stdout);
  return {
    code: r.code,
    stdout: r.stdout,
    stderr: r.stderr,
    digest: m ? (JSON.parse(m[1]!) as SslDigestJson) : undefined,
    errorCode: /^ERROR (\S+)/m.exec(r.stderr)?.[1],
    error: ((d) => (d ? (JSON.parse(d) as BinErrorDetail) : undefined))(/^ERROR_DETAIL (.*)$/m.exec(r.stderr)?.[1]),
    received: m ? r.stdout.slice(m.index + m[0].length) : '',
  };
}
