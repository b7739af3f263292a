import type { X509Certificate } from 'node:crypto';
import type { Alpn, CertKey, ClientHelloInfo, TlsVersion } from '@proxy/core';
import type { CryptoProvider } from './crypto/provider.js';
import type { CipherSuite, NamedGroup } from './suites.js';
import type { SessionIdCache } from './session-cache.js';
import type { TicketKeys } from './tickets.js';

/** What the server and client configurations both hold. */
interface CommonConfig {
  provider: CryptoProvider;
  minVersion: TlsVersion;
  maxVersion: TlsVersion;
  /** In preference order (the server's, on the server). */
  tls13Suites: readonly CipherSuite[];
  tls12Suites: readonly CipherSuite[];
  /** Preference order; the hybrid X25519MLKEM768 is used in TLS 1.3 only. */
  groups: readonly NamedGroup[];
  keylog: ((line: string) => void) | undefined;
}

/** A server configuration compiled from TlsSettings; shared by every connection of a listener. */
export interface ServerConfig extends CommonConfig {
  /** Our ALPN protocols (Alpn.select picks the server's choice); undefined: no ALPN. */
  alpn: Alpn | undefined;
  defaultCert: CertKey | undefined;
  /** Pause on each ClientHello for the adapter to call the certificate callback. */
  certificateCallback: boolean;
  clientAuth: { trust: readonly X509Certificate[]; required: boolean } | undefined;
  /** Session tickets (TLS 1.3 PSK-DHE and TLS 1.2 RFC 5077); undefined turns them off. */
  tickets: TicketKeys | undefined;
  /** TLS 1.2 session-ID resumption for clients without tickets; undefined turns it off. */
  sessionIds: SessionIdCache | undefined;
}

/** A client configuration compiled from TlsClientOptions plus the target. */
export interface ClientConfig extends CommonConfig {
  /** The ALPN protocols we offer, most preferred first; undefined: no ALPN. */
  alpn: readonly string[] | undefined;
  /** SNI to send; undefined sends none. */
  serverName: string | undefined;
  verifyCert: boolean;
  /** Names to match the server certificate against; empty skips the check. */
  hostnames: readonly string[];
  trust: readonly X509Certificate[];
  clientCertKey: CertKey | undefined;
  /** Where resumption tickets are kept, keyed by server identity; undefined: no resumption. */
  sessionCache: SessionCache | undefined;
  sessionKey: string;
}

export interface StoredSession {
  version: TlsVersion;
  suite: number;
  ticket: Uint8Array;
  /** TLS 1.3: the resumption PSK; TLS 1.2: the master secret. */
  secret: Uint8Array;
  ageAdd: number;
  receivedAt: number;
  lifetimeS: number;
  alpn: string | undefined;
  peerCertificate: X509Certificate | undefined;
  ems: boolean;
}

/** A small client-side ticket store (per connector). */
export class SessionCache {
  private readonly map = new Map<string, StoredSession>();
  constructor(private readonly max = 256) {}
  get(key: string): StoredSession | undefined {
    const s = this.map.get(key);
    if (s && Date.now() - s.receivedAt > s.lifetimeS * 1000) {
      this.map.delete(key);
      return undefined;
    }
    return s;
  }
  put(key: string, s: StoredSession): void {
    this.map.delete(key);
    this.map.set(key, s);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value!);
  }
  /** A ticket is single-use for TLS 1.3 (RFC 8446 C.4). */
  take(key: string): StoredSession | undefined {
    const s = this.get(key);
    if (s?.version === 'TLSv1.3') this.map.delete(key);
    return s;
  }
}

export type { ClientHelloInfo };
