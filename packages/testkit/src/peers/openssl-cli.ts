import type { PeerProcess} from './peer-process.js';
import { runPeer, startPeer } from './peer-process.js';

/** Peers from the `openssl` 3.0 command line: s_client and s_server. */

export type TlsVersionFlag = '1.2' | '1.3';

export interface OpensslClientOptions {
  port: number;
  host?: string;
  /** SNI; omitted sends none (-noservername). */
  servername?: string;
  alpn?: readonly string[];
  /** Trust anchors; with it, verification failures abort the handshake (-verify_return_error). */
  caFile?: string;
  verifyHostname?: string;
  cert?: string;
  key?: string;
  /** Intermediates sent after the client leaf. */
  certChain?: string;
  tls?: TlsVersionFlag;
  keylogFile?: string;
  /** Written to stdin; s_client sends it after the handshake, then closes when stdin ends. */
  input?: string;
  /** Keep the connection after stdin ends, until the server closes it (-ign_eof): for request/response. */
  waitForServerClose?: boolean;
  timeoutMs?: number;
  extraArgs?: readonly string[];
}

/** What s_client printed, parsed. Fields are undefined when the handshake did not get that far. */
export interface OpensslClientResult {
  code: number | null;
  stdout: string;
  stderr: string;
  output: string;
  /** "TLSv1.2" | "TLSv1.3". */
  version: string | undefined;
  /** OpenSSL's cipher name (IANA for TLS 1.3, e.g. ECDHE-ECDSA-AES128-GCM-SHA256 for 1.2). */
  cipher: string | undefined;
  alpn: string | undefined;
  /** The server certificate's subject as openssl prints it, e.g. "O = Proxy Test, CN = localhost". */
  peerSubject: string | undefined;
  /** The key-exchange group, e.g. "X25519", "ECDH" (P-256 prints as "ECDH, prime256v1"). */
  tempKey: string | undefined;
  verifyCode: number | undefined;
  /** Alerts received, e.g. ["no application protocol"]. */
  alerts: string[];
}

export async function opensslClient(o: OpensslClientOptions): Promise<OpensslClientResult> {
  const args = ['s_client', '-connect', `${o.host ?? '127.0.0.1'}:${o.port}`];
  args.push(...(o.servername ? ['-servername', o.servername] : ['-noservername']));
  if (o.alpn) args.push('-alpn', o.alpn.join(','));
  if (o.caFile) args.push('-CAfile', o.caFile, '-verify_return_error');
  if (o.verifyHostname) args.push('-verify_hostname', o.verifyHostname);
  if (o.cert) args.push('-cert', o.cert);
  if (o.key) args.push('-key', o.key);
  if (o.certChain) args.push('-cert_chain', o.certChain);
  if (o.tls) args.push(`-tls${o.tls.replace('.', '_')}`);
  if (o.keylogFile) args.push('-keylogfile', o.keylogFile);
  if (o.waitForServerClose) args.push('-ign_eof');
  args.push(...(o.extraArgs ?? []));
  const r = await runPeer('openssl', args, { stdin: o.input ?? '', timeoutMs: o.timeoutMs ?? 5000 });
  const out = r.output;
  const session = /New, (TLSv1\.[23]), Cipher is (\S+)/.exec(out);
  const verify = /Verify return code: (\d+)/.exec(out);
  return {
    ...r,
    version: session?.[1],
    cipher: session?.[2],
    alpn: /ALPN protocol: (\S+)/.exec(out)?.[1],
    peerSubject: /^subject=(.*)$/m.exec(out)?.[1]?.trim(),
    tempKey: /Server Temp Key: ([^\n]+)/.exec(out)?.[1]?.trim(),
    verifyCode: verify ? Number(verify[1]) : undefined,
    alerts: [...out.matchAll(/alert ([a-z ]+?)(?::|\n|$)/g)].map((m) => m[1]!.trim()),
  };
}

export interface OpensslServerOptions {
  cert: string;
  key: string;
  /** Intermediates sent after the leaf (-cert_chain). */
  certChain?: string;
  alpn?: readonly string[];
  tls?: TlsVersionFlag;
  /** Ask for (optional) or require a client certificate issued by caFile. */
  clientAuth?: { caFile: string; required: boolean };
  /** Answer HTTP GETs with openssl's status page instead of the interactive mode. */
  www?: boolean;
  keylogFile?: string;
  extraArgs?: readonly string[];
  readyTimeoutMs?: number;
}

export interface OpensslServer {
  port: number;
  process: PeerProcess;
  close(): Promise<void>;
}

/** Starts `openssl s_server` on a loopback port it picks, resolving once it prints ACCEPT. */
export async function opensslServer(o: OpensslServerOptions): Promise<OpensslServer> {
  const args = ['s_server', '-accept', '127.0.0.1:0', '-cert', o.cert, '-key', o.key];
  if (o.certChain) args.push('-cert_chain', o.certChain);
  if (o.alpn) args.push('-alpn', o.alpn.join(','));
  if (o.tls) args.push(`-tls${o.tls.replace('.', '_')}`);
  if (o.clientAuth) args.push('-CAfile', o.clientAuth.caFile, o.clientAuth.required ? '-Verify' : '-verify', '2');
  if (o.www) args.push('-www');
  if (o.keylogFile) args.push('-keylogfile', o.keylogFile);
  args.push(...(o.extraArgs ?? []));
  // stdin stays open: s_server shuts down when its stdin ends.
  const { process: p, match } = await startPeer('openssl', args, /ACCEPT [^\n]*:(\d+)/, o.readyTimeoutMs ?? 5000);
  return { port: Number(match[1]), process: p, close: () => p.kill() };
}
