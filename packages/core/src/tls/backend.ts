import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import type { X509Certificate } from 'node:crypto';
import type { Alpn } from './alpn.js';
import type { CertKey } from './cert-key.js';
import type { ClientHello } from './client-hello.js';
import type { SslDigest, TlsVersion } from './digest.js';
import type { TlsFeature } from './features.js';
import type { KeylogTarget } from './keylog.js';
import type { TlsSettings } from './settings.js';

export type BackendName = 'openssl' | 'boringssl' | 's2n' | 'pure';

/** What core knows of an accepted TCP connection before and during TLS. */
export interface ConnectionInfo {
  /** "ip:port" of the client. */
  peerAddr: string;
  /** "ip:port" of the listener. */
  localAddr: string;
  /** Per-connection state the ConnectionFilter stamped; the session reads it later. */
  state: Record<string, unknown>;
  /**
   * The ClientHello, parsed by core before the backend acceptor runs (set by the Listener once
   * it has arrived; absent on plain TCP and for acceptors called directly).
   */
  clientHello?: ClientHello;
}

/** A finished TLS connection: a Duplex of plaintext plus what the handshake negotiated. */
export interface TlsStream extends Duplex {
  readonly digest: SslDigest;
}

/** A compiled listener configuration. */
export interface TlsAcceptor {
  /** Runs the server handshake on `socket`; rejects with a TlsHandshakeError (or subclass) on failure. */
  accept(socket: Socket, conn: ConnectionInfo): Promise<TlsStream>;
}

/** Client-side TLS options for one kind of upstream; core caches one compiled connector per distinct set. */
export interface TlsClientOptions {
  verifyCert: boolean;
  verifyHostname: boolean;
  /** Trust anchors replacing the default store; undefined: the default store (ServerConf ca_file, else the system's). */
  ca: readonly X509Certificate[] | undefined;
  caPem: string | undefined;
  /** An extra name accepted in the peer certificate besides the SNI. */
  alternativeCn: string | undefined;
  alpn: Alpn | undefined;
  /** Client certificate chain and key, sent when the server asks. */
  clientCertKey: CertKey | undefined;
  minVersion: TlsVersion;
  maxVersion: TlsVersion;
  keylog: KeylogTarget | undefined;
  handshakeTimeoutMs: number | undefined;
  /**
   * Key-exchange groups to offer, IANA names, preference order; undefined: the backend's
   * default (X25519MLKEM768 first where the library has it, then x25519, secp256r1, secp384r1).
   */
  groups?: readonly string[] | undefined;
  /**
   * Resume TLS sessions to the same upstream (a TLS 1.3 ticket or a TLS 1.2 session, kept by the
   * compiled connector per address and SNI). Default true; false makes every connection a full handshake.
   */
  sessionResumption: boolean;
}

export interface ConnectTarget {
  /** SNI to send; empty sends no SNI (and hostname checks then use alternativeCn, or the address). */
  sni: string;
  /** "host:port" of the upstream, for messages. */
  addr: string;
}

/** A compiled client configuration. */
export interface TlsConnector {
  /** Runs the client handshake; rejects with InvalidCertError on verification failure, TlsHandshakeError otherwise. */
  connect(socket: Socket, target: ConnectTarget): Promise<TlsStream>;
}

/** A TLS library behind the one API. Exactly one is registered per process. */
export interface TlsBackend {
  readonly name: BackendName;
  /** The npm package that provides it, e.g. "@proxy/tls-openssl". */
  readonly packageName: string;
  /** Library and version, e.g. "OpenSSL 3.0.19". */
  readonly library: string;
  readonly features: ReadonlySet<TlsFeature>;
  createAcceptor(settings: TlsSettings): TlsAcceptor;
  createConnector(options: TlsClientOptions): TlsConnector;
}
