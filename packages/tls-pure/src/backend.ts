import { isIP } from 'node:net';
import {
  EngineTlsAcceptor, EngineTlsConnector, TlsConfigError, TlsFeatureUnsupportedError, defaultGroups, keylogWriter,
  type CertKey, type ConnectTarget, type ConnectionInfo, type TlsAcceptor, type TlsBackend, type TlsClientOptions,
  type TlsConnector, type TlsFeature, type TlsSettings, type TlsVersion,
} from '@proxy/core';
import type { ClientConfig, ServerConfig } from './config.js';
import { SessionCache } from './config.js';
import type { CryptoProvider } from './crypto/provider.js';
import { keyKind } from './crypto/provider.js';
import { cryptoProvider, resolveCryptoProvider } from './crypto/select.js';
import { PureTlsEngine } from './engine.js';
import { ServerHelloDispatcher } from './server.js';
import { suiteByName, TLS12_CIPHER_SUITES, TLS13_CIPHER_SUITES, type CipherSuite, type NamedGroup } from './suites.js';
import { ServerSessionCache, SharedSessionIdCache } from './session-cache.js';
import { TicketKeys } from './tickets.js';
import { ClientHelloDispatcher } from './client.js';
import { classicalGroups } from './key-share.js';
import { systemTrustStore } from './verify/chain.js';

export const PACKAGE_NAME = '@proxy/tls-pure';
export const LIBRARY = 'proxy-tls-pure 0.1.0 (TypeScript)';

const FEATURES: ReadonlySet<TlsFeature> = new Set<TlsFeature>([
  'tls1.2', 'tls1.3', 'alpn', 'alpn-custom', 'client-auth-required', 'client-auth-optional', 'keylog',
  'certificate-callback', 'async-certificate-callback', 'session-tickets', 'disable-session-tickets',
  'client-certificate', 'custom-ca', 'verify-disable', 'no-sni', 'session-id-cache', 'session-id-cache-shared', 'session-ticket-keys', 'session-ticket-key-rotation',
  // Our own hybrid (src/crypto/x25519mlkem768.ts): on any Node, with either crypto provider.
  'group-x25519mlkem768',
]);

const SUPPORTED_GROUPS: readonly NamedGroup[] = ['X25519MLKEM768', 'x25519', 'secp256r1', 'secp384r1'];

function unsupported(feature: string, detail?: string): TlsFeatureUnsupportedError {
  return new TlsFeatureUnsupportedError('pure', feature, detail);
}

function compileSuites(names: readonly string[], version: 'TLSv1.2' | 'TLSv1.3'): CipherSuite[] {
  return names.map((n) => {
    const s = suiteByName(n);
    if (!s || s.version !== version) throw unsupported(`cipher suite ${n}`);
    return s;
  });
}

/**
 * Groups by IANA name (core's TlsSettings.setGroups / TlsClientOptions.groups), preference order.
 * With none chosen, core's default for a library that has the hybrid: X25519MLKEM768 first.
 */
function compileGroups(names: readonly string[], maxVersion: TlsVersion, what: string): NamedGroup[] {
  const groups = names.map((g) => {
    if (!SUPPORTED_GROUPS.includes(g as NamedGroup)) throw unsupported(`key exchange group ${g}`);
    return g as NamedGroup;
  });
  // The hybrid is TLS 1.3's: a TLS 1.2-only configuration of hybrids alone could never agree a key.
  if (maxVersion === 'TLSv1.2' && classicalGroups(groups).length === 0) {
    throw new TlsConfigError(`${what}: TLS 1.2 needs a classical group (x25519, secp256r1, secp384r1); X25519MLKEM768 is TLS 1.3 only`);
  }
  return groups;
}

function checkKey(certKey: CertKey | undefined, what: string): void {
  if (certKey && keyKind(certKey.key) === 'unsupported') {
    throw unsupported(`${what} key type ${certKey.keyType}`, 'keys must be EC P-256, EC P-384, Ed25519 or RSA');
  }
}

/**
 * The settings' SessionIdStore (shared by the workers), when there is one: this handshake looks a
 * session up synchronously, so the store must answer `peek`; one that cannot is refused.
 */
function sharedSessionIdCache(settings: TlsSettings, lifetimeS: number | undefined): SharedSessionIdCache | undefined {
  const store = settings.sessionIdStore;
  if (!store || settings.sessionIdCacheSize === 0) return undefined;
  if (!store.peek) throw unsupported('session-id-cache-shared', 'the session ID is looked up inside the handshake: the store must answer peek()');
  return new SharedSessionIdCache(store as typeof store & { peek: NonNullable<typeof store.peek> }, lifetimeS);
}

/** Compiles listener settings; a setting we cannot honour throws TlsFeatureUnsupportedError here. */
export function compileServerConfig(
  settings: TlsSettings, provider: CryptoProvider = cryptoProvider(), sessionIdCache: PureConfigOptions['sessionIdCache'] = {},
): ServerConfig {
  for (const f of settings.requiredFeatures()) {
    if (!FEATURES.has(f)) throw unsupported(f, f === 'native' ? 'there is no native library to hand a builder to' : undefined);
  }
  checkKey(settings.certKey, 'certificate');
  return {
    provider,
    minVersion: settings.minVersion,
    maxVersion: settings.maxVersion,
    tls13Suites: compileSuites(settings.tls13Suites, 'TLSv1.3'),
    tls12Suites: compileSuites(settings.tls12Suites, 'TLSv1.2'),
    groups: compileGroups(settings.groupsFor(true), settings.maxVersion, 'TlsSettings.setGroups'),
    alpn: settings.alpn,
    defaultCert: settings.certKey,
    certificateCallback: !!settings.callbacks.certificate,
    clientAuth: settings.clientAuth ? { trust: settings.clientAuth.ca, required: settings.clientAuth.required } : undefined,
    keylog: keylogWriter(settings.keylog),
    tickets: settings.sessionTickets ? new TicketKeys(provider, settings.ticketKeys) : undefined,
    // TLS 1.2 only: a TLS 1.3-only listener has no use for it.
    // Off unless asked for: TlsSettings.setSessionIdCache(n) (the contract, every backend), or
    // this package's own sessionIdCache option, which also sets the lifetime.
    sessionIds: sessionIdCache === false || settings.minVersion === 'TLSv1.3'
      || (settings.sessionIdCacheSize === 0 && sessionIdCache.maxEntries === undefined && sessionIdCache.lifetimeS === undefined)
      ? undefined
      : sharedSessionIdCache(settings, sessionIdCache.lifetimeS)
        ?? new ServerSessionCache(sessionIdCache.maxEntries ?? (settings.sessionIdCacheSize || undefined), sessionIdCache.lifetimeS),
  };
}

/** Compiles client options for one target. */
export function compileClientConfig(
  options: TlsClientOptions, target: ConnectTarget, cache: SessionCache | undefined, provider: CryptoProvider = cryptoProvider(),
): ClientConfig {
  const host = target.addr.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  // RFC 6066 3: literal IP addresses are not sent as SNI.
  const sni = target.sni && !isIP(target.sni) ? target.sni : undefined;
  const names = options.verifyHostname
    ? [...new Set([target.sni || (options.alternativeCn ? '' : host), options.alternativeCn ?? ''].filter(Boolean))]
    : [];
  return {
    provider,
    minVersion: options.minVersion,
    maxVersion: options.maxVersion,
    tls13Suites: TLS13_CIPHER_SUITES,
    tls12Suites: TLS12_CIPHER_SUITES,
    groups: compileGroups(options.groups ?? defaultGroups(true), options.maxVersion, 'TlsClientOptions.groups'),
    alpn: options.alpn?.protocols,
    serverName: sni,
    verifyCert: options.verifyCert,
    hostnames: names,
    trust: options.ca ?? systemTrustStore(),
    clientCertKey: options.clientCertKey,
    keylog: keylogWriter(options.keylog),
    sessionCache: cache,
    sessionKey: `${target.addr}|${target.sni}`,
  };
}

/** A server engine for one accepted connection (for tests and custom drivers). */
export function newServerEngine(cfg: ServerConfig, peerAddr = 'unknown'): PureTlsEngine {
  return new PureTlsEngine('server', cfg.provider, cfg.keylog, (ctx) => new ServerHelloDispatcher(ctx, cfg, peerAddr));
}

/** A client engine for one connection (for tests and custom drivers). */
export function newClientEngine(cfg: ClientConfig): PureTlsEngine {
  return new PureTlsEngine('client', cfg.provider, cfg.keylog, (ctx) => new ClientHelloDispatcher(ctx, cfg));
}

/** Per-configuration choices of this backend beyond TlsSettings / TlsClientOptions. */
export interface PureConfigOptions {
  /**
   * The cryptography of this acceptor or connector (rustls' per-config CryptoProvider):
   * 'pure', 'node' or any CryptoProvider. Default: the process default of setCryptoProvider()
   * at the time the acceptor or connector is built.
   */
  provider?: 'pure' | 'node' | CryptoProvider;
  /**
   * Acceptors: TLS 1.2 session-ID resumption (RFC 5246) for clients that do not use tickets, a
   * bounded LRU per acceptor: `maxEntries` (default: `TlsSettings.setSessionIdCache`'s size,
   * else 10,000) sessions of `lifetimeS` (default 300 s, nginx's ssl_session_timeout). Off by
   * default, as on every backend: `TlsSettings.setSessionIdCache(n)` or this option turns it
   * on, `false` keeps it off. Not shared across worker processes. TLS 1.3-only listeners have none.
   */
  sessionIdCache?: { maxEntries?: number; lifetimeS?: number } | false;
}

/**
 * An acceptor with its own configuration: the settings and the crypto provider are compiled
 * once, here; later setCryptoProvider() calls do not change it.
 */
export function createPureAcceptor(settings: TlsSettings, opts: PureConfigOptions = {}): TlsAcceptor {
  const cfg = compileServerConfig(settings, resolveCryptoProvider(opts.provider ?? cryptoProvider()), opts.sessionIdCache);
  return new EngineTlsAcceptor(settings, (conn: ConnectionInfo) => newServerEngine(cfg, conn.peerAddr));
}

/**
 * A connector with its own configuration: the crypto provider is fixed here (every connection
 * of this connector uses it), with a session cache of its own.
 */
export function createPureConnector(options: TlsClientOptions, opts: PureConfigOptions = {}): TlsConnector {
  if (options.minVersion === 'TLSv1.3' && options.maxVersion === 'TLSv1.2') throw unsupported('an empty version range');
  checkKey(options.clientCertKey, 'client certificate');
  // Refused here, loudly, rather than at the first connection.
  compileGroups(options.groups ?? defaultGroups(true), options.maxVersion, 'TlsClientOptions.groups');
  const provider = resolveCryptoProvider(opts.provider ?? cryptoProvider());
  const cache = options.sessionResumption ? new SessionCache() : undefined;
  return new EngineTlsConnector(options, (target: ConnectTarget) => newClientEngine(compileClientConfig(options, target, cache, provider)));
}

/** The pure-TypeScript backend: TLS 1.2 and 1.3 with no native code. */
export const pureBackend: TlsBackend = {
  name: 'pure',
  packageName: PACKAGE_NAME,
  library: LIBRARY,
  features: FEATURES,
  createAcceptor: (settings: TlsSettings): TlsAcceptor => createPureAcceptor(settings),
  createConnector: (options: TlsClientOptions): TlsConnector => createPureConnector(options),
};
