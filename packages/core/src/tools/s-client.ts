import { X509Certificate } from 'node:crypto';
import { connect, isIP, type Socket } from 'node:net';
import { InvalidCertError } from '../errors/index.js';
import { CertKey } from '../tls/cert-key.js';
import { parseCertificates, readPemFile } from '../tls/pem.js';
import { tlsBackend } from '../tls/registry.js';
import type { TlsClientOptions, TlsStream } from '../tls/backend.js';
import { alpnOf } from './s-server.js';
import {
  TOOL_LINE, digestToJson, errorLines, type SClientOptions, type TlsToolIo,
} from './tls-tool.js';

/** Builds connector options from s_client flags. Verification is on unless -noverify. */
export function sClientOptions(o: SClientOptions): TlsClientOptions {
  const caPem = o.caFile ? readPemFile(o.caFile, 'CA').toString() : undefined;
  return {
    verifyCert: o.verify,
    verifyHostname: o.verify,
    ca: caPem !== undefined && o.caFile ? parseCertificates(caPem, o.caFile, 'CA') : undefined,
    caPem,
    alternativeCn: o.verifyHostname,
    alpn: o.alpn ? alpnOf(o.alpn) : undefined,
    clientCertKey: o.cert && o.key ? CertKey.fromFiles(o.cert, o.key) : undefined,
    minVersion: o.minVersion,
    maxVersion: o.maxVersion,
    keylog: o.keylogFile ? { path: o.keylogFile } : undefined,
    handshakeTimeoutMs: o.handshakeTimeoutMs,
    // One connection per run: nothing to resume.
    sessionResumption: false,
  };
}

/**
 * openssl-style test client: connects with the registered backend, prints `DIGEST <json>`,
 * then copies stdin to the connection and the connection to stdout. Exit 0 when the session
 * ends cleanly, 1 with `ERROR <code> <message>` on stderr when the connection or handshake
 * fails (a verification failure is code InvalidCert).
 */
export async function runSClient(o: SClientOptions, io: TlsToolIo): Promise<number> {
  const connector = tlsBackend().createConnector(sClientOptions(o));
  const addr = `${o.host}:${o.port}`;
  let socket: Socket | undefined;
  let stream: TlsStream;
  try {
    socket = await tcpConnect(o.host, o.port);
    stream = await connector.connect(socket, { sni: o.servername, addr });
    checkVerifyHostname(o, stream);
  } catch (err) {
    socket?.destroy();
    io.stderr.write(errorLines(TOOL_LINE.error, err));
    return 1;
  }
  io.stdout.write(`${TOOL_LINE.digest} ${JSON.stringify(digestToJson(stream.digest))}\n`);

  return await new Promise<number>((resolve) => {
    let status = 0;
    let settled = false;
    const finish = (): void => {
      if (settled) return;
      settled = true;
      io.stdin.unpipe(stream);
      // stdin may hold the event loop open (a TTY or a pipe nobody closes); we are done with it.
      if (io.stdin === process.stdin) process.stdin.pause();
      resolve(status);
    };
    stream.on('error', (err) => {
      io.stderr.write(errorLines(TOOL_LINE.error, err));
      status = 1;
    });
    // When the server ends the session, so do we (like openssl s_client). Streams that allow
    // half-open connections do not close by themselves, so 'end' + 'finish' also settles.
    let ended = false;
    let finished = false;
    stream.on('end', () => {
      ended = true;
      if (finished) return finish();
      io.stdin.unpipe(stream);
      stream.end();
    });
    stream.on('finish', () => {
      finished = true;
      if (ended) finish();
    });
    stream.on('close', finish);
    stream.pipe(io.stdout, { end: false });
    // With -ign_eof the session lasts until the server closes; otherwise the end of stdin
    // half-closes it (close_notify), and what the server still sends is printed.
    io.stdin.pipe(stream, { end: !o.ignoreEof });
  });
}

/**
 * The backend accepts a certificate that matches the SNI or the alternative name; -verify_hostname
 * NAME promises that NAME itself matches, so it is checked once more on the peer's leaf.
 */
function checkVerifyHostname(o: SClientOptions, stream: TlsStream): void {
  const name = o.verifyHostname;
  if (!o.verify || !name || name === o.servername) return;
  const der = stream.digest.peerCertificate?.der;
  const leaf = der ? new X509Certificate(der) : undefined;
  const ok = leaf && (isIP(name) ? leaf.checkIP(name) : leaf.checkHost(name));
  if (!ok) {
    stream.destroy();
    throw new InvalidCertError('hostname-mismatch', `the certificate does not match ${name} (-verify_hostname)`, { source: 'upstream' });
  }
}

function tcpConnect(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}
