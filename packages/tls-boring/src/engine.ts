import { X509Certificate } from 'node:crypto';
import {
  TlsHandshakeError, peerCertificateInfo,
  type CertKey, type ClientHelloInfo, type ErrorSource, type KeylogCallback, type SslDigest, type TlsEngine,
} from '@proxy/core';
import { engineError } from './errors.js';
import {
  ST_ERROR, ST_HANDSHAKE_DONE, ST_PEER_CLOSED, ST_WANT_CERT,
  type BoringNative, type CertKeyHandle, type ConnHandle, type NativeResult, type SessionHandle,
} from './native.js';

/** TLS NamedGroup code points to the IANA names the digest reports. */
export const GROUP_NAMES: ReadonlyMap<number, string> = new Map([
  [0x001d, 'x25519'],
  [0x0017, 'secp256r1'],
  [0x0018, 'secp384r1'],
  [0x0019, 'secp521r1'],
]);

/** The largest plaintext chunk handed to the reader: one TLS record (RFC 8446 5.1). */
const MAX_PLAINTEXT_CHUNK = 16384;

/** The most chunks connSendv takes in one call. */
const MAX_SENDV = 64;

export interface BoringEngineOptions {
  side: 'client' | 'server';
  source: ErrorSource;
  /** Server: the client's address, for pendingClientHello. */
  peerAddr?: string;
  /** Client: the SNI sent (undefined: none). */
  sni?: string;
  keylog?: KeylogCallback;
  /** Client: a resumable session arrived. */
  onSession?: (session: SessionHandle) => void;
  /** Server: the native handle of a CertKey (parsed once per object). */
  certKeyHandle?: (certKey: CertKey) => CertKeyHandle;
}

/**
 * One BoringSSL connection (an SSL over memory BIOs) as core's sans-IO TlsEngine. Each call
 * into the addon returns everything it produced (ciphertext, plaintext, key-log lines, a
 * session), copied once into a Buffer: one N-API crossing per direction per batch of records.
 */
export class BoringEngine implements TlsEngine {
  readonly side: 'client' | 'server';
  pendingClientHello: ClientHelloInfo | undefined;
  private conn: ConnHandle | undefined;
  private status = 0;
  private output: Uint8Array[] = [];
  private plaintext: Buffer[] = [];
  private cachedDigest: SslDigest | undefined;

  constructor(
    private readonly n: BoringNative,
    conn: ConnHandle,
    private readonly opts: BoringEngineOptions,
  ) {
    this.side = opts.side;
    this.conn = conn;
  }

  get handshakeDone(): boolean {
    return (this.status & ST_HANDSHAKE_DONE) !== 0;
  }

  get peerClosed(): boolean {
    return (this.status & ST_PEER_CLOSED) !== 0;
  }

  start(): void {
    if (this.side === 'client') this.absorb(this.n.connStart(this.handle()));
  }

  receive(data: Uint8Array): void {
    this.absorb(this.n.connReceive(this.handle(), data));
  }

  send(data: Uint8Array): void {
    if (!this.handshakeDone) throw new TlsHandshakeError('send before the TLS handshake finished', { source: 'internal' });
    this.absorb(this.n.connSend(this.handle(), data));
  }

  /** A batch of writes (the stream's writev): one call per 64, small writes sharing records. */
  sendChunks(chunks: readonly Uint8Array[]): void {
    if (!this.handshakeDone) throw new TlsHandshakeError('send before the TLS handshake finished', { source: 'internal' });
    if (chunks.length <= MAX_SENDV) {
      this.absorb(this.n.connSendv(this.handle(), chunks));
      return;
    }
    for (let i = 0; i < chunks.length; i += MAX_SENDV) this.absorb(this.n.connSendv(this.handle(), chunks.slice(i, i + MAX_SENDV)));
  }

  close(): void {
    this.absorb(this.n.connClose(this.handle()));
  }

  pullOutput(): Uint8Array | null {
    const out = this.output;
    if (out.length === 0) return null;
    if (out.length === 1) {
      this.output = [];
      return out[0]!;
    }
    this.output = [];
    return Buffer.concat(out);
  }

  pullOutputChunks(): Uint8Array[] {
    const out = this.output;
    if (out.length > 0) this.output = [];
    return out;
  }

  pullPlaintext(): Uint8Array | null {
    return this.plaintext.shift() ?? null;
  }

  /** The socket is done with an output chunk (the addon's block views come back; its small Buffers do not). */
  releaseOutputChunk(chunk: Uint8Array): void {
    if (!Buffer.isBuffer(chunk)) this.n.connReleaseOutput(chunk);
  }

  selectCertificate(certKey: CertKey | undefined): void {
    if (!this.pendingClientHello) throw new TlsHandshakeError('no certificate was asked for', { source: 'internal' });
    this.pendingClientHello = undefined;
    const handle = certKey ? this.opts.certKeyHandle!(certKey) : null;
    this.absorb(this.n.connSelectCert(this.handle(), handle));
  }

  digest(): SslDigest {
    if (this.cachedDigest) return this.cachedDigest;
    const conn = this.conn;
    const d = conn ? this.n.connDigest(conn) : undefined;
    const digest: SslDigest = {
      backend: 'boringssl',
      version: d?.[0] === 0x0304 ? 'TLSv1.3' : 'TLSv1.2',
      cipher: d?.[1] ?? '',
      group: d ? GROUP_NAMES.get(d[2]) : undefined,
      sni: this.side === 'server' ? (conn ? this.n.connServerName(conn) : undefined) : this.opts.sni,
      alpn: d?.[3],
      sessionReused: d?.[4] ?? false,
      peerCertificate: d?.[5] ? peerCertificateInfo(new X509Certificate(d[5])) : undefined,
    };
    if (this.handshakeDone) this.cachedDigest = digest;
    return digest;
  }

  closeDelayMs(): number {
    return 0;
  }

  destroy(): void {
    const conn = this.conn;
    if (!conn) return;
    this.conn = undefined;
    this.output = [];
    this.plaintext = [];
    this.n.connFree(conn);
  }

  private handle(): ConnHandle {
    if (!this.conn) throw new TlsHandshakeError('the TLS engine was destroyed', { source: 'internal' });
    return this.conn;
  }

  private absorb(result: NativeResult): void {
    const [status, output, plaintext, keylog, session] = result;
    if (output) {
      if (Array.isArray(output)) this.output.push(...output);
      else this.output.push(output);
    }
    if (plaintext) {
      // One record's worth at a time, as the other backends deliver it: a reader that stops
      // part-way (nghttp2 giving up on a flood) then still sees the records before that point.
      if (plaintext.length <= MAX_PLAINTEXT_CHUNK) this.plaintext.push(plaintext);
      else for (let o = 0; o < plaintext.length; o += MAX_PLAINTEXT_CHUNK) this.plaintext.push(plaintext.subarray(o, o + MAX_PLAINTEXT_CHUNK));
    }
    if (keylog && this.opts.keylog) {
      for (const line of keylog.split('\n')) if (line) this.opts.keylog(line);
    }
    if (session) this.opts.onSession?.(session);
    this.status = status;
    if (status & ST_ERROR) throw engineError(this.n.connError(this.handle()), this.opts.source);
    if (status & ST_WANT_CERT && !this.pendingClientHello) {
      this.pendingClientHello = {
        serverName: this.n.connServerName(this.handle())?.toLowerCase(),
        peerAddr: this.opts.peerAddr ?? 'unknown',
      };
    }
  }
}
