import type { X509Certificate } from 'node:crypto';
import type { CertKey, ClientHelloInfo, ErrorSource, SslDigest, TlsVersion } from '@proxy/core';
import type { CryptoProvider } from './crypto/provider.js';
import type { HandshakeMessage } from './messages/handshake.js';
import type { RecordProtection } from './record/protection.js';

/**
 * What a finished handshake agreed on: the SslDigest fields a handshaker knows, with the peer
 * certificate still an X509Certificate; the engine turns it into the SslDigest.
 */
export type Negotiated = Omit<SslDigest, 'backend' | 'peerCertificate' | 'extension'> & {
  peerCertificate: X509Certificate | undefined;
};

/**
 * One side and version of the handshake: a state machine whose states are named for the
 * message they await. The engine feeds it whole handshake messages.
 */
export interface Handshaker {
  /** Client: sends the first flight (the engine's start()). */
  start?(): void;
  onHandshake(msg: HandshakeMessage): void;
  /** A ChangeCipherSpec record with the single byte 1. */
  onChangeCipherSpec(): void;
  /** TLS 1.3 KeyUpdate initiated by the application. */
  keyUpdate?(requestPeer: boolean): void;
}

/** What the engine offers its handshakers. */
export interface EngineContext {
  readonly provider: CryptoProvider;
  readonly source: ErrorSource;
  /** Queues a handshake message (header included) under the current write protection. */
  sendHandshake(raw: Uint8Array): void;
  /** Sends a plaintext ChangeCipherSpec record. */
  sendChangeCipherSpec(): void;
  /** New read keys. RFC 8446 5.1: fatal if a handshake message is half-received. */
  setReadProtection(p: RecordProtection): void;
  setWriteProtection(p: RecordProtection): void;
  setVersion(v: TlsVersion): void;
  /** Largest plaintext we put in one record (RFC 8449 record_size_limit). */
  setMaxFragment(n: number): void;
  /** The handshake is done: application data may flow. */
  complete(n: Negotiated): void;
  /** Server: waits for the adapter's certificate choice, then calls `resume`. */
  pauseForCertificate(hello: ClientHelloInfo, resume: (certKey: CertKey | undefined) => void): void;
  replaceHandshaker(h: Handshaker): void;
  /**
   * RFC 8446 4.2.10: a server declining early data skips it: 'trial-decrypt' drops records that
   * fail to decrypt with the handshake keys, 'plaintext-appdata' drops application_data records
   * before the retried ClientHello; both within a byte budget. undefined stops skipping.
   */
  skipEarlyData(mode: 'trial-decrypt' | 'plaintext-appdata' | undefined): void;
  /** Sends a warning-level alert (TLS 1.2 no_renegotiation). */
  sendWarning(desc: number): void;
  /**
   * One NSS key-log line, when key logging is on. A function is called only then: for secrets
   * derived for the log alone (the exporter secret; there is no exporter API yet).
   */
  keylog(label: string, clientRandom: Uint8Array, secret: Uint8Array | (() => Uint8Array)): void;
  readonly handshakeDone: boolean;
}
