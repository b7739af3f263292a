import type { PeerProcess} from './peer-process.js';
import { runPeer, startPeer } from './peer-process.js';
import { freePort } from './ports.js';
import type { TlsVersionFlag } from './openssl-cli.js';

/** Peers from gnutls-bin 3.7: gnutls-cli and gnutls-serv, a TLS stack independent of OpenSSL. */

function priority(tls: TlsVersionFlag | undefined): string[] {
  return tls ? ['--priority', `NORMAL:-VERS-ALL:+VERS-TLS${tls}`] : [];
}

export interface GnutlsClientOptions {
  port: number;
  host?: string;
  servername?: string;
  alpn?: readonly string[];
  /** Trust anchors; without it verification is skipped (--insecure). */
  caFile?: string;
  /** Name checked against the certificate (default: the SNI, else the host). */
  verifyHostname?: string;
  /** Client certificate (chain file) and key. */
  cert?: string;
  key?: string;
  tls?: TlsVersionFlag;
  input?: string;
  timeoutMs?: number;
  extraArgs?: readonly string[];
}

export interface GnutlsClientResult {
  code: number | null;
  stdout: string;
  stderr: string;
  output: string;
  /** "TLS1.2" | "TLS1.3". */
  version: string | undefined;
  /** The key exchange part of the description, e.g. "ECDHE-X25519". */
  keyExchange: string | undefined;
  /** GnuTLS' cipher name, e.g. "AES-128-GCM". */
  cipher: string | undefined;
  alpn: string | undefined;
  /** The server leaf's subject as GnuTLS prints it, e.g. "CN=localhost,O=Proxy Test". */
  peerSubject: string | undefined;
  trusted: boolean;
}

export async function gnutlsClient(o: GnutlsClientOptions): Promise<GnutlsClientResult> {
  const args = ['-p', String(o.port), o.host ?? '127.0.0.1'];
  if (o.servername) args.push('--sni-hostname', o.servername);
  else args.push('--disable-sni');
  for (const p of o.alpn ?? []) args.push('--alpn', p);
  if (o.caFile) {
    args.push('--x509cafile', o.caFile);
    const name = o.verifyHostname ?? o.servername;
    if (name) args.push('--verify-hostname', name);
  } else {
    args.push('--insecure');
  }
  if (o.cert) args.push('--x509certfile', o.cert);
  if (o.key) args.push('--x509keyfile', o.key);
  args.push(...priority(o.tls), ...(o.extraArgs ?? []));
  const r = await runPeer('gnutls-cli', args, { stdin: o.input ?? '', timeoutMs: o.timeoutMs ?? 5000 });
  const d = /Description: \((TLS1\.[23])-X\.509\)-\(([^)]+)\)-\([^)]+\)-\(([^)]+)\)/.exec(r.output);
  return {
    ...r,
    version: d?.[1],
    keyExchange: d?.[2],
    cipher: d?.[3],
    alpn: /Application protocol: (\S+)/.exec(r.output)?.[1],
    peerSubject: /Certificate\[0\] info:\n - subject `([^']*)'/.exec(r.output)?.[1],
    trusted: /The certificate is trusted/.test(r.output),
  };
}

export interface GnutlsServerOptions {
  /** Chain file (leaf then intermediates) and key. */
  cert: string;
  key: string;
  alpn?: readonly string[];
  tls?: TlsVersionFlag;
  clientAuth?: { caFile: string; required: boolean };
  /** --http answers GETs with a status page; the default echoes. */
  http?: boolean;
  extraArgs?: readonly string[];
  readyTimeoutMs?: number;
}

export interface GnutlsServer {
  port: number;
  process: PeerProcess;
  close(): Promise<void>;
}

/** Starts gnutls-serv on a free port (it cannot choose and report one), waiting for "listening". */
export async function gnutlsServer(o: GnutlsServerOptions): Promise<GnutlsServer> {
  const port = await freePort();
  const args = ['-p', String(port), '--x509certfile', o.cert, '--x509keyfile', o.key, o.http ? '--http' : '--echo'];
  for (const p of o.alpn ?? []) args.push('--alpn', p);
  if (o.alpn) args.push('--alpn-fatal');
  if (o.clientAuth) {
    args.push('--x509cafile', o.clientAuth.caFile);
    if (o.clientAuth.required) args.push('--require-client-cert');
  } else {
    args.push('--disable-client-cert');
  }
  args.push(...priority(o.tls), ...(o.extraArgs ?? []));
  const { process: p } = await startPeer('gnutls-serv', args, /listening on IPv4 [^\n]*\.\.\.done/, o.readyTimeoutMs ?? 5000);
  return { port, process: p, close: () => p.kill() };
}
