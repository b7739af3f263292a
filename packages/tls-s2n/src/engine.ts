import { X509Certificate } from 'node:crypto';
import {
  InvalidCertError, TlsAlertReceivedError, TlsHandshakeError, TlsProtocolError, peerCertificateInfo,
  type CertKey, type ClientHelloInfo, type ErrorSource, type InvalidCertReason, type SslDigest, type TlsEngine,
} from '@proxy/core';
import { Status, type Handle, type S2nNative } from './native.js';

/** TLS alert descriptions (RFC 8446 6). */
export const Alert = {
  UNEXPECTED_MESSAGE: 10,
  HANDSHAKE_FAILURE: 40,
  PROTOCOL_VERSION: 70,
  NO_APPLICATION_PROTOCOL: 120,
} as const;

const ALERT_NAMES: Record<number, string> = {
  0: 'close_notify', 10: 'unexpected_message', 20: 'bad_record_mac', 22: 'record_overflow', 40: 'handshake_failure',
  42: 'bad_certificate', 43: 'unsupported_certificate', 44: 'certificate_revoked', 45: 'certificate_expired',
  46: 'certificate_unknown', 47: 'illegal_parameter', 48: 'unknown_ca', 49: 'access_denied', 50: 'decode_error',
  51: 'decrypt_error', 70: 'protocol_version', 71: 'insufficient_security', 80: 'internal_error',
  86: 'inappropriate_fallback', 90: 'user_canceled', 109: 'missing_extension', 110: 'unsupported_extension',
  112: 'unrecognized_name', 113: 'bad_certificate_status_response', 115: 'unknown_psk_identity',
  116: 'certificate_required', 120: 'no_application_protocol',
};

/** IANA cipher suite names by value (the suites s2n's policies we use can negotiate). */
const CIPHERS: Record<number, string> = {
  0x1301: 'TLS_AES_128_GCM_SHA256',
  0x1302: 'TLS_AES_256_GCM_SHA384',
  0x1303: 'TLS_CHACHA20_POLY1305_SHA256',
  0xc02b: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
  0xc02f: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
  0xc02c: 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
  0xc030: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
  0xcca9: 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
  0xcca8: 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
  0xc023: 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256',
  0xc027: 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256',
  0xc024: 'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384',
  0xc028: 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384',
};

/** s2n's certificate verdicts on the one InvalidCertReason vocabulary. */
const CERT_REASONS: Record<string, InvalidCertReason> = {
  S2N_ERR_CERT_UNTRUSTED: 'unknown-ca',
  S2N_ERR_CERT_INVALID_HOSTNAME: 'hostname-mismatch',
  S2N_ERR_CERT_EXPIRED: 'expired',
  S2N_ERR_CERT_NOT_YET_VALID: 'not-yet-valid',
  S2N_ERR_CERT_MAX_CHAIN_DEPTH_EXCEEDED: 'chain-too-long',
  S2N_ERR_CERT_UNHANDLED_CRITICAL_EXTENSION: 'unsupported-critical-extension',
  S2N_ERR_CERT_INTENT_INVALID: 'bad-usage',
  S2N_ERR_DECODE_CERTIFICATE: 'malformed',
  S2N_ERR_SECURITY_POLICY_INCOMPATIBLE_CERT: 'weak-signature',
  S2N_ERR_CERT_TYPE_UNSUPPORTED: 'verify-failed',
  S2N_ERR_CERT_REVOKED: 'verify-failed',
  S2N_ERR_CERT_REJECTED: 'verify-failed',
  S2N_ERR_CERT_INVALID: 'verify-failed',
  S2N_ERR_CERT_NOT_VALIDATED: 'verify-failed',
  S2N_ERR_MISSING_CLIENT_CERT: 'no-certificate',
};

/**
 * Errors s2n reports as internal (or without an alert) that are malformed input from the peer:
 * the alert RFC 8446 6.2 names for them.
 */
const MALFORMED_INPUT: Record<string, number> = {
  /** A message shorter than its own length fields. */
  S2N_ERR_STUFFER_OUT_OF_DATA: 50,
  /** A record that is not a handshake record before any keys (so it cannot be decrypted). */
  S2N_ERR_DECRYPT: 10,
};

/** The largest plaintext chunk handed to the reader: one TLS record (RFC 8446 5.1). */
const MAX_PLAINTEXT_CHUNK = 16384;

/** s2n_error_type values. */
const ERR_T_ALERT = 4;
const ERR_T_PROTO = 5;

const GROUPS: Record<string, string> = {
  x25519: 'x25519', secp256r1: 'secp256r1', secp384r1: 'secp384r1', secp521r1: 'secp521r1',
  'p-256': 'secp256r1', 'p-384': 'secp384r1', 'p-521': 'secp521r1',
};

/** What a server engine needs from its acceptor. */
export interface ServerHooks {
  /** The config for a certificate the callback chose (cached per CertKey). */
  configFor(certKey: CertKey): Handle;
  /** Whether the acceptor has a default certificate. */
  readonly hasDefaultCert: boolean;
  /** Expose pendingClientHello (the settings' certificate callback is set). */
  readonly certificateCallback: boolean;
  /** Our ALPN protocols, when set: a client offering none of them gets no_application_protocol. */
  readonly alpn: readonly string[] | undefined;
  /** Protocol versions accepted (s2n numbers: 33 TLS 1.2, 34 TLS 1.3). */
  readonly minVersion: number;
  readonly maxVersion: number;
}

export interface S2nEngineOptions {
  side: 'client' | 'server';
  native: S2nNative;
  config: Handle;
  /** Client: SNI to send (none when undefined). */
  sni?: string;
  /** Client: names the certificate must carry (one of them); undefined: the config decides. */
  verifyNames?: string[];
  /** Server. */
  server?: ServerHooks;
  peerAddr?: string;
  /** Client: a saved session to resume. */
  session?: Buffer;
  /** Client: called with each session ticket received (after the handshake in TLS 1.3). */
  onSession?: (session: Buffer) => void;
}

/**
 * One s2n connection as a core TlsEngine. Ciphertext goes into the addon's input buffer (kept
 * across calls); the addon reports what is ready with status bits, so output and plaintext are
 * fetched only when there is some.
 */
export class S2nEngine implements TlsEngine {
  readonly side: 'client' | 'server';
  handshakeDone = false;
  peerClosed = false;
  pendingClientHello: ClientHelloInfo | undefined;

  private readonly native: S2nNative;
  private conn: Handle | undefined;
  private readonly hooks: ServerHooks | undefined;
  private readonly peerAddr: string;
  private readonly sni: string | undefined;
  private readonly source: ErrorSource;
  private readonly onSession: ((session: Buffer) => void) | undefined;
  /** Ciphertext to send, as the addon hands it over (one Buffer per call, or per 80 KiB). */
  private out: Buffer[] = [];
  /** Decrypted application data, as the addon hands it over (one Buffer per call, or per 80 KiB). */
  private readonly plaintext: Buffer[] = [];
  private plaintextRead = 0;
  /** How much of plaintext[plaintextRead] was handed out already. */
  private plaintextOffset = 0;
  private closed = false;
  private failed = false;
  /** The failure was ours (an alert we wrote): no s2n blinding, nothing to send after the delay. */
  private ownFailure = false;
  private version = 0;
  private seenInput = false;
  /** A server that failed before writing anything sends this fatal alert in plaintext after the delay. */
  private plaintextAlert: number | undefined;

  constructor(options: S2nEngineOptions) {
    this.side = options.side;
    this.native = options.native;
    this.hooks = options.server;
    this.peerAddr = options.peerAddr ?? 'unknown';
    this.sni = options.sni;
    this.source = options.side === 'server' ? 'downstream' : 'upstream';
    this.onSession = options.onSession;
    this.conn = options.native.connNew(
      options.config, options.side === 'server', options.sni ?? null, options.verifyNames ?? null, options.session ?? null,
    );
  }

  private handle(): Handle {
    if (!this.conn) throw new TlsHandshakeError('the s2n connection was destroyed', { source: this.source });
    return this.conn;
  }

  start(): void {
    if (this.side === 'client') this.apply(this.native.connFeed(this.handle(), null, this.out, this.plaintext));
  }

  receive(data: Uint8Array): void {
    if (this.failed) return;
    if (!this.seenInput && data.length > 0) {
      this.seenInput = true;
      // A client's first record is a handshake (or an alert) record of TLS's major version 3.
      // s2n would first wait for as many bytes as a stray "GET / HTTP/1.1" seems to announce.
      if (this.side === 'server' && ((data[0] !== 0x16 && data[0] !== 0x15) || (data.length > 1 && data[1] !== 0x03))) {
        this.refuse(Alert.UNEXPECTED_MESSAGE, 'the first record is not a TLS handshake record');
      }
    }
    this.apply(this.native.connFeed(this.handle(), data, this.out, this.plaintext));
  }

  send(data: Uint8Array): void {
    if (this.closed) throw new TlsProtocolError('send after close', { source: 'internal' });
    // TLS 1.2: s2n answers the peer's close_notify with its own and takes no more data.
    if (this.peerClosed && this.version < 34) return;
    this.apply(this.native.connSend(this.handle(), data, this.out));
  }

  /** A batch of writes in one call, encrypted as one stream: small writes share records. */
  sendChunks(chunks: readonly Uint8Array[]): void {
    if (this.closed) throw new TlsProtocolError('send after close', { source: 'internal' });
    if (this.peerClosed && this.version < 34) return;
    this.apply(this.native.connSend(this.handle(), chunks, this.out));
  }

  close(): void {
    if (this.closed || !this.conn) return;
    this.closed = true;
    if (this.failed) return;
    // Also after the peer's close_notify: TLS 1.2 wants ours in answer (RFC 5246 7.2.1).
    this.native.connShutdown(this.conn, this.out);
  }

  pullOutput(): Uint8Array | null {
    return this.out.shift() ?? null;
  }

  /** Every pending record at once, for one corked write. */
  pullOutputChunks(): Uint8Array[] {
    const chunks = this.out;
    // Most calls (every read of a keep-alive request) produce nothing to send: no new array then.
    if (chunks.length === 0) return chunks;
    this.out = [];
    return chunks;
  }

  /** The socket is done with a record block (the addon's blocks are views, its small copies Buffers). */
  releaseOutputChunk(chunk: Uint8Array): void {
    if (!Buffer.isBuffer(chunk)) this.native.connReleaseOutput(chunk);
  }

  pullPlaintext(): Uint8Array | null {
    if (this.plaintextRead >= this.plaintext.length) {
      if (this.plaintextRead > 0) {
        this.plaintext.length = 0;
        this.plaintextRead = 0;
      }
      return null;
    }
    const chunk = this.plaintext[this.plaintextRead]!;
    // One record's worth (16 KiB) at a time, as the other backends deliver it: a reader that
    // stops part-way (nghttp2 giving up on a flood) then still sees the records before that point.
    if (this.plaintextOffset === 0 && chunk.length <= MAX_PLAINTEXT_CHUNK) {
      this.plaintextRead++;
      return chunk;
    }
    const start = this.plaintextOffset;
    const end = Math.min(chunk.length, start + MAX_PLAINTEXT_CHUNK);
    if (end === chunk.length) {
      this.plaintextRead++;
      this.plaintextOffset = 0;
    } else {
      this.plaintextOffset = end;
    }
    return chunk.subarray(start, end);
  }

  selectCertificate(certKey: CertKey | undefined): void {
    const hooks = this.hooks;
    if (!hooks || !this.pendingClientHello) return;
    this.pendingClientHello = undefined;
    if (!certKey && !hooks.hasDefaultCert) {
      this.refuse(Alert.HANDSHAKE_FAILURE, 'no certificate for this client: the certificate callback chose none and there is no default');
    }
    this.apply(this.native.connHelloDone(this.handle(), certKey ? hooks.configFor(certKey) : null, this.out, this.plaintext));
  }

  digest(): SslDigest {
    const [version, cipher, group, sni, alpn, resumed, leaf] = this.native.connInfo(this.handle());
    let peerCertificate: SslDigest['peerCertificate'];
    if (leaf) {
      try {
        peerCertificate = peerCertificateInfo(new X509Certificate(leaf));
      } catch {
        peerCertificate = undefined;
      }
    }
    return {
      backend: 's2n',
      version: version >= 34 ? 'TLSv1.3' : 'TLSv1.2',
      cipher: CIPHERS[cipher] ?? `0x${cipher.toString(16).padStart(4, '0').toUpperCase()}`,
      group: group ? GROUPS[group.toLowerCase()] ?? group : undefined,
      sni: this.side === 'server' ? sni?.toLowerCase() ?? undefined : this.sni,
      alpn: alpn ?? undefined,
      sessionReused: resumed,
      peerCertificate,
    };
  }

  closeDelayMs(): number {
    // Clients never wait: an upstream's InvalidCert must not arrive 20 s late.
    if (this.side === 'client' || this.ownFailure || !this.conn) return 0;
    return Math.ceil(this.native.connDelay(this.conn) / 1e6);
  }

  afterCloseDelay(): void {
    if (!this.conn || this.ownFailure || this.closed) return;
    this.closed = true;
    // Nothing sent yet (a server failing on the ClientHello): the error's own fatal alert, in
    // plaintext as it must be before any keys. s2n itself would send a close_notify (it hides
    // the reason on purpose); that is what it writes in every later state.
    if (this.plaintextAlert !== undefined) {
      this.out = [Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, this.plaintextAlert])];
      return;
    }
    // s2n writes its alert only now that the blinding delay has passed.
    this.native.connShutdown(this.conn, this.out);
  }

  destroy(): void {
    if (!this.conn) return;
    this.native.connFree(this.conn);
    this.conn = undefined;
  }

  // ---- internals ----

  private apply(status: number): void {
    if (status & Status.ERROR) this.throwError();
    if (status & Status.HELLO) {
      this.onClientHello();
      return;
    }
    if (status & Status.HANDSHAKE_DONE && !this.handshakeDone) {
      this.handshakeDone = true;
      this.version = (status >> 8) & 0xff;
    }
    if (status & Status.PEER_CLOSED) this.peerClosed = true;
    if (status & Status.SESSION && this.conn) {
      const session = this.native.connTakeSession(this.conn);
      if (session && this.onSession) this.onSession(session);
    }
  }

  /** The handshake paused on the ClientHello: our checks, then the certificate choice. */
  private onClientHello(): void {
    const hooks = this.hooks!;
    const [serverName, alpnExtension, versionsExtension, legacyVersion] = this.native.connHello(this.handle());
    // s2n answers a version mismatch with a bare close_notify: the protocol_version alert is ours.
    const offered = versionsExtension ? parseSupportedVersions(versionsExtension) : [legacyVersion];
    if (!offered.some((v) => v >= hooks.minVersion && v <= hooks.maxVersion)) {
      this.refuse(Alert.PROTOCOL_VERSION, `no common TLS version (client offers ${offered.map(versionName).join(', ')})`);
    }
    if (hooks.alpn && alpnExtension) {
      const offered = parseAlpn(alpnExtension);
      if (!hooks.alpn.some((p) => offered.includes(p))) {
        this.refuse(Alert.NO_APPLICATION_PROTOCOL, `no common application protocol (client offered ${offered.join(',') || 'none'})`);
      }
    }
    if (hooks.certificateCallback) {
      this.pendingClientHello = { serverName: serverName ? serverName.toLowerCase() : undefined, peerAddr: this.peerAddr };
      return;
    }
    this.apply(this.native.connHelloDone(this.handle(), null, this.out, this.plaintext));
  }

  /** Writes a plaintext fatal alert ourselves and fails (s2n would end without it). */
  private refuse(alert: number, message: string): never {
    this.failed = true;
    this.ownFailure = true;
    // Nothing of s2n's goes out, before or after our alert.
    this.out = [Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, alert])];
    throw new TlsProtocolError(message, { alert, source: this.source });
  }

  private throwError(): never {
    this.failed = true;
    const [name, message, s2nType, receivedAlert, , s2nAlert, bytesOut] = this.native.connError(this.handle());
    const code = name ?? 'S2N_ERR_UNKNOWN';
    const override = MALFORMED_INPUT[code];
    const type = override ? ERR_T_PROTO : s2nType;
    // A record that does not decrypt once keys are in use is bad_record_mac.
    const alertForError = code === 'S2N_ERR_DECRYPT' && bytesOut > 0 ? 20 : override ?? s2nAlert;
    if (this.side === 'server' && bytesOut === 0 && alertForError > 0) this.plaintextAlert = alertForError;
    const text = `${message ?? 'unknown s2n error'} (${code})`;
    const reason = CERT_REASONS[code];
    if (reason) throw new InvalidCertError(reason, text, { source: this.source });
    if (type === ERR_T_ALERT || code === 'S2N_ERR_ALERT') {
      throw new TlsAlertReceivedError(receivedAlert, ALERT_NAMES[receivedAlert] ?? 'unknown', this.source);
    }
    const alert = alertForError > 0 ? alertForError : undefined;
    if (type === ERR_T_PROTO) throw new TlsProtocolError(text, { source: this.source, alert });
    throw new TlsHandshakeError(text, { source: this.source, alert });
  }
}

function versionName(v: number): string {
  return ({ 20: 'SSLv2', 30: 'SSLv3', 31: 'TLSv1.0', 32: 'TLSv1.1', 33: 'TLSv1.2', 34: 'TLSv1.3' } as Record<number, string>)[v] ?? `${v}`;
}

/** The supported_versions extension body (u8 length, u16 versions) as s2n numbers (TLS 1.2 = 33); GREASE and drafts dropped. */
export function parseSupportedVersions(ext: Uint8Array): number[] {
  const out: number[] = [];
  const end = Math.min(ext.length, 1 + (ext[0] ?? 0));
  for (let i = 1; i + 1 < end; i += 2) {
    const major = ext[i]!;
    const minor = ext[i + 1]!;
    if (major === 3 && minor <= 4) out.push(30 + minor);
  }
  return out;
}

/** The ALPN extension body: u16 list length, then (u8 length, name)*. Malformed → what parsed. */
export function parseAlpn(ext: Uint8Array): string[] {
  const out: string[] = [];
  if (ext.length < 2) return out;
  const end = Math.min(ext.length, 2 + ((ext[0]! << 8) | ext[1]!));
  let i = 2;
  while (i < end) {
    const len = ext[i]!;
    if (i + 1 + len > end) break;
    out.push(Buffer.from(ext.subarray(i + 1, i + 1 + len)).toString('latin1'));
    i += 1 + len;
  }
  return out;
}
