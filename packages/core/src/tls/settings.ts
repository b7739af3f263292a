import type { X509Certificate } from 'node:crypto';
import { TlsConfigError, type ProxyError } from '../errors/index.js';
import { Alpn } from './alpn.js';
import { CertKey } from './cert-key.js';
import type { SslDigest, TlsVersion } from './digest.js';
import type { TlsFeature } from './features.js';
import type { KeylogTarget, KeylogCallback } from './keylog.js';
import { parseCertificates, readPemFile } from './pem.js';
import { checkTicketKeys } from './ticket-keys.js';
import type { ClientHello } from './client-hello.js';
import { ServerNameSet, certificateDnsNames } from './server-names.js';
import type { SessionIdStore } from './session-id-store.js';

/** What the server knows of a ClientHello when it must pick a certificate. */
export interface ClientHelloInfo {
  /** The SNI host name, lower-case, or undefined when the client sent none. */
  serverName: string | undefined;
  /** Remote address of the connection, "ip:port". */
  peerAddr: string;
  /**
   * The whole ClientHello as core parsed it before the backend ran (offered versions, suites,
   * groups, ALPN, JA4/JA3): set on every backend for connections accepted by a Listener.
   */
  clientHello?: ClientHello | undefined;
}

export interface TlsCallbacks {
  /**
   * Chooses the certificate for this handshake (SNI selection, hot reload). Return undefined to
   * use the settings' default certificate; with no default the handshake fails with an alert.
   */
  certificate?: (hello: ClientHelloInfo) => CertKey | undefined | Promise<CertKey | undefined>;
  /** Runs once the handshake is done; what it returns becomes `digest.extension`. */
  handshakeComplete?: (digest: SslDigest) => unknown;
  /**
   * Runs when a downstream handshake fails, on every backend (core's listener calls it), with
   * the peer address, the SNI if the ClientHello showed one, and the typed error
   * (TlsHandshakeError or a subclass: InvalidCertError, TlsAlertReceivedError, ...). It must
   * not throw; what it returns is ignored. Also settable with `setHandshakeFailed`.
   */
  handshakeFailed?: (info: HandshakeFailureInfo, error: ProxyError) => void;
}

/** What the handshakeFailed hook learns of the failed connection. */
export interface HandshakeFailureInfo {
  /** "ip:port" of the client. */
  peerAddr: string;
  /** "ip:port" of the listener. */
  localAddr: string;
  /** The SNI host name, lower-case, when the ClientHello was seen and carried one. */
  serverName: string | undefined;
  /** The ClientHello core parsed, when the failure came after it (JA4, offered versions...). */
  clientHello?: ClientHello | undefined;
}

export interface ClientAuth {
  /** Trust anchors for client certificates: a PEM string/Buffer or a path to a PEM file. */
  ca: string | Buffer;
  /** true: a client without a certificate is refused. false: a certificate is asked for, and checked when sent. */
  required: boolean;
}

/** Mozilla "intermediate" cipher suites for TLS 1.2 (ECDHE + AEAD only), IANA names, preference order. */
export const INTERMEDIATE_TLS12_SUITES: readonly string[] = [
  'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
  'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
  'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
  'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
  'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
  'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
];

export const TLS13_SUITES: readonly string[] = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
];

/** Classical key-exchange groups offered and accepted, preference order (IANA names). */
export const DEFAULT_GROUPS: readonly string[] = ['x25519', 'secp256r1', 'secp384r1'];

/**
 * The hybrid post-quantum group (ML-KEM-768 + X25519, code point 0x11EC, IANA name
 * "X25519MLKEM768") that Chrome, Firefox, Safari, Go and OpenSSL 3.5 offer by default.
 */
export const X25519MLKEM768 = 'X25519MLKEM768';

/** Hybrid post-quantum groups by IANA name, with the feature a backend declares for each. */
export const HYBRID_GROUP_FEATURES: ReadonlyMap<string, TlsFeature> = new Map([[X25519MLKEM768, 'group-x25519mlkem768']]);

/** Every group name `setGroups` accepts (IANA TLS Supported Groups names). */
export const KNOWN_GROUPS: ReadonlySet<string> = new Set([
  'x25519', 'x448', 'secp256r1', 'secp384r1', 'secp521r1', ...HYBRID_GROUP_FEATURES.keys(),
]);

/**
 * The groups a backend offers when the user chose none: the hybrid first where the library has
 * it, then the classical ones; where it has not, the classical list alone.
 */
export function defaultGroups(hybridSupported: boolean): readonly string[] {
  return hybridSupported ? [X25519MLKEM768, ...DEFAULT_GROUPS] : DEFAULT_GROUPS;
}

/** Checks a user's group list (non-empty, known names, no repeats); throws TlsConfigError. */
export function checkGroupList(groups: readonly string[], what: string): readonly string[] {
  if (groups.length === 0) throw new TlsConfigError(`${what}: the group list is empty`);
  for (const g of groups) {
    if (!KNOWN_GROUPS.has(g)) throw new TlsConfigError(`${what}: unknown key-exchange group ${JSON.stringify(g)} (known: ${[...KNOWN_GROUPS].join(', ')})`);
  }
  if (new Set(groups).size !== groups.length) throw new TlsConfigError(`${what}: a group is listed twice`);
  return [...groups];
}

/** nginx's ssl_handshake_timeout default. */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 60_000;

/** The listener-side TLS configuration, validated when built; a backend compiles it with createAcceptor. */
export class TlsSettings {
  readonly profile: 'intermediate' | 'modern' | 'callbacks';
  /** The default certificate; absent only with withCallbacks and no default. */
  readonly certKey: CertKey | undefined;
  readonly callbacks: TlsCallbacks;
  minVersion: TlsVersion;
  maxVersion: TlsVersion;
  readonly tls12Suites: readonly string[] = INTERMEDIATE_TLS12_SUITES;
  readonly tls13Suites: readonly string[] = TLS13_SUITES;
  /**
   * The groups set with `setGroups`, or the classical default. Backends call `groupsFor` to
   * learn what to offer: with no user list, the hybrid post-quantum group comes first where the
   * library supports it.
   */
  groups: readonly string[] = DEFAULT_GROUPS;
  /** True once `setGroups` was called: the list is then honoured exactly or refused. */
  groupsSetByUser = false;
  /** undefined: none set; HTTP services then advertise h2 + http/1.1. */
  alpn: Alpn | undefined;
  clientAuth: { ca: readonly X509Certificate[]; caPem: string; required: boolean } | undefined;
  keylog: KeylogTarget | undefined;
  handshakeTimeoutMs = DEFAULT_HANDSHAKE_TIMEOUT_MS;
  sessionTickets = true;
  /** TLS 1.2 session-ID resumption: entries of the listener's server-side cache; 0 (the default) turns it off. */
  sessionIdCacheSize = 0;
  /** Where that cache lives when it is shared (workers of a server); undefined: in the listener, per process. */
  sessionIdStore: SessionIdStore | undefined;
  /** Session ticket keys (nginx's 48/80-byte format) from setTicketKeys; undefined: the backend's own per-process key. */
  ticketKeys: readonly Buffer[] | undefined;
  readonly nativeHooks: Array<(builder: unknown) => void> = [];
  /** Strict SNI (setStrictSni): the names accepted; undefined: any name, or none, is served. */
  strictSni: ServerNameSet | undefined;

  private constructor(profile: TlsSettings['profile'], certKey: CertKey | undefined, callbacks: TlsCallbacks) {
    this.profile = profile;
    this.certKey = certKey;
    this.callbacks = callbacks;
    this.minVersion = profile === 'modern' ? 'TLSv1.3' : 'TLSv1.2';
    this.maxVersion = 'TLSv1.3';
  }

  /** Mozilla "intermediate": TLS 1.2 and 1.3, ECDHE key exchange and AEAD ciphers only. */
  static intermediate(certPath: string, keyPath: string): TlsSettings {
    return new TlsSettings('intermediate', CertKey.fromFiles(certPath, keyPath), {});
  }

  /** Mozilla "modern": TLS 1.3 only. */
  static modern(certPath: string, keyPath: string): TlsSettings {
    return new TlsSettings('modern', CertKey.fromFiles(certPath, keyPath), {});
  }

  /**
   * Intermediate protocol settings with the certificate chosen per handshake by
   * `callbacks.certificate` (SNI selection, hot reload). `defaultCert` serves clients the
   * callback declines.
   */
  static withCallbacks(callbacks: TlsCallbacks, defaultCert?: CertKey): TlsSettings {
    if (!callbacks.certificate && !defaultCert) {
      throw new TlsConfigError('TlsSettings.withCallbacks needs a certificate callback or a default certificate');
    }
    return new TlsSettings('callbacks', defaultCert, callbacks);
  }

  /** Advertise HTTP/2 then HTTP/1.1 in ALPN. */
  enableH2(): this {
    this.alpn = Alpn.H2H1;
    return this;
  }

  setAlpn(alpn: Alpn): this {
    this.alpn = alpn;
    return this;
  }

  /** Ask clients for a certificate, checked against `ca`; `required` refuses clients without one. */
  setClientAuth(auth: ClientAuth): this {
    const isPem = Buffer.isBuffer(auth.ca) || auth.ca.includes('-----BEGIN');
    const origin = isPem ? 'inline PEM' : (auth.ca as string);
    const pem = isPem ? auth.ca : readPemFile(auth.ca as string, 'client CA');
    const ca = parseCertificates(pem, origin, 'client CA');
    this.clientAuth = { ca, caPem: pem.toString(), required: auth.required };
    return this;
  }

  /** Write NSS key-log lines to a file (mode 0600) or a callback. SSLKEYLOGFILE is honoured without this. */
  setKeylog(target: string | KeylogCallback): this {
    this.keylog = typeof target === 'string' ? { path: target } : { callback: target };
    return this;
  }

  setHandshakeTimeout(ms: number): this {
    if (!(ms > 0)) throw new TlsConfigError(`handshake timeout must be a positive number of ms, got ${ms}`);
    this.handshakeTimeoutMs = ms;
    return this;
  }

  /** Narrow the accepted protocol versions (e.g. TLS 1.2 only for a test). */
  setVersions(min: TlsVersion, max: TlsVersion = 'TLSv1.3'): this {
    if (min === 'TLSv1.3' && max === 'TLSv1.2') throw new TlsConfigError('minimum TLS version is above the maximum');
    this.minVersion = min;
    this.maxVersion = max;
    return this;
  }

  /**
   * Key-exchange groups, preference order, IANA names (`x25519`, `secp256r1`, `secp384r1`,
   * `secp521r1`, `x448`, `X25519MLKEM768`). Without this call a backend offers
   * X25519MLKEM768 first where its library can, then x25519, secp256r1, secp384r1; call it with
   * a classical list to turn post-quantum key exchange off. A backend that lacks a listed group
   * refuses the settings with TlsFeatureUnsupportedError.
   */
  setGroups(groups: readonly string[]): this {
    this.groups = checkGroupList(groups, 'TlsSettings.setGroups');
    this.groupsSetByUser = true;
    return this;
  }

  /** What a backend offers: the user's list, or the default for a library with or without the hybrid group. */
  groupsFor(hybridSupported: boolean): readonly string[] {
    return this.groupsSetByUser ? this.groups : defaultGroups(hybridSupported);
  }

  /** Sets the handshake-failure hook (see TlsCallbacks.handshakeFailed) on any profile. */
  setHandshakeFailed(hook: NonNullable<TlsCallbacks['handshakeFailed']>): this {
    this.callbacks.handshakeFailed = hook;
    return this;
  }

  /**
   * Session ticket keys shared by every process given the same ones (workers, a fleet of
   * hosts): nginx's `ssl_session_ticket_key` format, 48 or 80 bytes each; the first encrypts new
   * tickets, the others only decrypt (rotation). Backends that hold one key declare
   * `session-ticket-keys` only and refuse a longer list.
   */
  setTicketKeys(keys: readonly Buffer[]): this {
    this.ticketKeys = checkTicketKeys(keys, 'TlsSettings.setTicketKeys');
    return this;
  }

  /**
   * Strict SNI, nginx's `ssl_reject_handshake` for unknown names: a ClientHello whose
   * server_name is not among `names` (exact names or `*.suffix` wildcards), or that has no
   * server_name at all, is refused with a fatal `unrecognized_name` alert (RFC 6066 §3) by core,
   * before any backend runs, so every backend behaves the same. Without `names`, the DNS names
   * of the default certificate (its SANs, else its CN). `false` turns it off.
   */
  setStrictSni(names?: readonly string[] | false): this {
    if (names === false) {
      this.strictSni = undefined;
      return this;
    }
    const list = names ?? (this.certKey ? certificateDnsNames(this.certKey.leaf) : []);
    if (list.length === 0) {
      throw new TlsConfigError('strict SNI needs server names: none were given and the default certificate has no DNS name');
    }
    this.strictSni = new ServerNameSet(list);
    return this;
  }

  /** Turn session tickets (resumption) off or on. */
  setSessionTickets(enabled: boolean): this {
    this.sessionTickets = enabled;
    return this;
  }

  /**
   * A server-side session cache for TLS 1.2 clients that resume by session ID (old clients
   * without tickets), bounded to `entries` sessions per listener, the least recently stored
   * dropped first; 0 turns it off (the default). Needs the backend's 'session-id-cache' feature.
   * With a `store` (e.g. `sessionIdShare.store(name, entries)`, shared by every worker of a
   * server) the sessions live there instead, and the backend needs 'session-id-cache-shared'
   * (its session lookup can wait for another process).
   */
  setSessionIdCache(entries: number, store?: SessionIdStore): this {
    if (!Number.isInteger(entries) || entries < 0) throw new TlsConfigError(`session ID cache size must be a whole number >= 0, got ${entries}`);
    this.sessionIdCacheSize = entries;
    this.sessionIdStore = entries > 0 ? store : undefined;
    return this;
  }

  /**
   * The escape hatch: `fn` receives the backend's own builder (Node's SecureContext options
   * object on OpenSSL; the native config on the others) before it is used.
   */
  native(fn: (builder: unknown) => void): this {
    this.nativeHooks.push(fn);
    return this;
  }

  /** The features these settings need from a backend. */
  requiredFeatures(): Set<TlsFeature> {
    const f = new Set<TlsFeature>();
    if (this.minVersion === 'TLSv1.2') f.add('tls1.2');
    if (this.maxVersion === 'TLSv1.3') f.add('tls1.3');
    if (this.alpn) f.add(this.alpn.kind === 'custom' ? 'alpn-custom' : 'alpn');
    if (this.clientAuth) f.add(this.clientAuth.required ? 'client-auth-required' : 'client-auth-optional');
    if (this.keylog || process.env['SSLKEYLOGFILE']) f.add('keylog');
    if (this.callbacks.certificate) f.add('certificate-callback');
    if (!this.sessionTickets) f.add('disable-session-tickets');
    if (this.sessionIdCacheSize > 0) f.add('session-id-cache');
    if (this.sessionIdCacheSize > 0 && this.sessionIdStore) f.add('session-id-cache-shared');
    if (this.nativeHooks.length > 0) f.add('native');
    if (this.ticketKeys && this.sessionTickets) {
      f.add('session-ticket-keys');
      if (this.ticketKeys.length > 1) f.add('session-ticket-key-rotation');
    }
    if (this.groupsSetByUser) {
      for (const g of this.groups) {
        const feature = HYBRID_GROUP_FEATURES.get(g);
        if (feature) f.add(feature);
      }
    }
    return f;
  }
}
