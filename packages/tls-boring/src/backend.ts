import { isIP } from 'node:net';
import {
  EngineTlsAcceptor, EngineTlsConnector, INTERMEDIATE_TLS12_SUITES, TLS13_SUITES, TlsConfigError, TlsFeatureUnsupportedError,
  defaultGroups, keylogWriter, systemTrustStorePem,
  type CertKey, type ConnectTarget, type ConnectionInfo, type KeylogCallback, type TlsAcceptor, type TlsBackend,
  type TlsClientOptions, type TlsConnector, type TlsFeature, type TlsSettings, type TlsVersion,
} from '@proxy/core';
import { BoringEngine } from './engine.js';
import { native, tryNative, type BoringNative, type CertKeyHandle, type CtxHandle, type SessionHandle } from './native.js';

export const PACKAGE_NAME = '@proxy/tls-boring';
/** The Debian source package the static BoringSSL is built from (scripts/build-boringssl.sh). */
export const DEBIAN_SOURCE = 'android-platform-external-boringssl';
export const DEBIAN_VERSION = '13.0.0+r24-2';

/** What the library can do here; `native` is not among them (no builder object is handed out). */
const FEATURES: ReadonlySet<TlsFeature> = new Set<TlsFeature>([
  'tls1.2', 'tls1.3', 'alpn', 'alpn-custom', 'client-auth-required', 'client-auth-optional', 'keylog',
  'certificate-callback', 'async-certificate-callback', 'session-tickets', 'disable-session-tickets',
  'client-certificate', 'custom-ca', 'verify-disable', 'no-sni',
  // Our own ticket key callback (SSL_CTX_set_tlsext_ticket_key_cb) holds any number of keys.
  'session-ticket-keys', 'session-ticket-key-rotation',
]);

/** IANA TLS 1.2 suite names to BoringSSL's cipher-list names. */
const TLS12_SUITE_NAMES: Readonly<Record<string, string>> = {
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
};

/** IANA group names to BoringSSL's curve names. */
const GROUP_NAMES: Readonly<Record<string, string>> = {
  x25519: 'X25519', secp256r1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521',
};

/** Key types BoringSSL signs with. */
const KEY_TYPES = new Set(['ec', 'rsa', 'ed25519']);

const VERSION_CODES: Record<TlsVersion, number> = { 'TLSv1.2': 0x0303, 'TLSv1.3': 0x0304 };

function unsupported(feature: string, detail?: string): TlsFeatureUnsupportedError {
  return new TlsFeatureUnsupportedError('boringssl', feature, detail);
}

/** `library`: BoringSSL, the Debian source version it was built from, and its API version. */
export function libraryName(): string {
  const addon = tryNative();
  if (!addon) return `BoringSSL (${DEBIAN_SOURCE} ${DEBIAN_VERSION}, not built)`;
  const [name, api] = addon.version();
  return `${name} (${DEBIAN_SOURCE} ${DEBIAN_VERSION}, API ${api})`;
}

/** Parsed certificate chains and keys, once per CertKey object. */
const certKeyHandles = new WeakMap<CertKey, CertKeyHandle>();

export function certKeyHandle(n: BoringNative, certKey: CertKey): CertKeyHandle {
  let handle = certKeyHandles.get(certKey);
  if (handle) return handle;
  if (!KEY_TYPES.has(certKey.keyType)) {
    throw unsupported(`key type ${certKey.keyType}`, 'keys must be EC, RSA or Ed25519');
  }
  handle = n.certKeyNew(certKey.chain.map((c) => c.raw), certKey.keyPem);
  if (!handle) throw new TlsConfigError(`BoringSSL cannot use the certificate and key of ${certKey.origin}: ${n.lastError()}`);
  certKeyHandles.set(certKey, handle);
  return handle;
}

function newCtx(n: BoringNative, server: boolean, min: TlsVersion, max: TlsVersion): CtxHandle {
  if (VERSION_CODES[min] > VERSION_CODES[max]) throw unsupported('an empty version range');
  const ctx = n.ctxNew(server);
  if (!ctx) throw new TlsConfigError(`BoringSSL could not create an SSL_CTX: ${n.lastError()}`);
  if (!n.ctxSetVersions(ctx, VERSION_CODES[min], VERSION_CODES[max])) {
    throw new TlsConfigError(`BoringSSL refused versions ${min}-${max}: ${n.lastError()}`);
  }
  return ctx;
}

function setSuitesAndGroups(n: BoringNative, ctx: CtxHandle, tls12: readonly string[], tls13: readonly string[], groups: readonly string[], useTls13: boolean): void {
  // BoringSSL's TLS 1.3 suites are fixed: exactly core's three.
  if (useTls13 && (tls13.length !== TLS13_SUITES.length || !tls13.every((s) => TLS13_SUITES.includes(s)))) {
    throw unsupported(`TLS 1.3 cipher suites ${tls13.join(',')}`, `BoringSSL's TLS 1.3 suites are fixed (${TLS13_SUITES.join(', ')})`);
  }
  const names = tls12.map((s) => {
    const name = TLS12_SUITE_NAMES[s];
    if (!name) throw unsupported(`cipher suite ${s}`);
    return name;
  });
  if (names.length > 0 && !n.ctxSetCiphers(ctx, names.join(':'))) {
    throw new TlsConfigError(`BoringSSL refused the cipher list ${names.join(':')}: ${n.lastError()}`);
  }
  const curves = groups.map((g) => {
    const name = GROUP_NAMES[g];
    if (!name) throw unsupported(`key exchange group ${g}`);
    return name;
  });
  if (!n.ctxSetGroups(ctx, curves.join(':'))) throw new TlsConfigError(`BoringSSL refused the groups ${groups.join(',')}: ${n.lastError()}`);
}

function enableKeylog(n: BoringNative, ctx: CtxHandle, keylog: KeylogCallback | undefined): void {
  if (keylog) n.ctxSetKeylog(ctx, 1);
}

export interface CompiledServer {
  n: BoringNative;
  ctx: CtxHandle;
  keylog: KeylogCallback | undefined;
}

/** Compiles listener settings into one SSL_CTX; a setting BoringSSL cannot honour throws here. */
export function compileServer(settings: TlsSettings): CompiledServer {
  const n = native();
  for (const f of settings.requiredFeatures()) {
    if (!FEATURES.has(f)) {
      throw unsupported(f, f === 'native' ? 'this backend hands no builder object to native hooks' : undefined);
    }
  }
  const ctx = newCtx(n, true, settings.minVersion, settings.maxVersion);
  // No hybrid post-quantum group in this BoringSSL: the classical default unless the user chose.
  setSuitesAndGroups(n, ctx, settings.tls12Suites, settings.tls13Suites, settings.groupsFor(false), settings.maxVersion === 'TLSv1.3');
  if (settings.alpn && !n.ctxSetAlpn(ctx, settings.alpn.wire())) throw new TlsConfigError(`BoringSSL refused ALPN ${settings.alpn.protocols.join(',')}`);
  if (settings.certKey && !n.ctxSetCertKey(ctx, certKeyHandle(n, settings.certKey))) {
    throw new TlsConfigError(`BoringSSL refused the certificate of ${settings.certKey.origin}: ${n.lastError()}`);
  }
  if (settings.clientAuth) {
    if (n.ctxAddTrust(ctx, settings.clientAuth.caPem, true) <= 0) {
      throw new TlsConfigError(`BoringSSL found no certificate in the client CA: ${n.lastError()}`);
    }
    n.ctxSetVerify(ctx, settings.clientAuth.required ? 2 : 1);
  }
  n.ctxSetCertHook(ctx, settings.callbacks.certificate ? 1 : 0);
  n.ctxSetTickets(ctx, settings.sessionTickets ? 1 : 0);
  // Shared keys (setTicketKeys; workers, fleets), whole as nginx reads them: the first seals new
  // tickets, every one still opens its own (rotation).
  for (const [i, key] of (settings.sessionTickets ? settings.ticketKeys ?? [] : []).entries()) {
    if (!n.ctxAddTicketKey(ctx, key)) throw new TlsConfigError(`BoringSSL refused session ticket key ${i} (${key.length} bytes)`);
  }
  const keylog = keylogWriter(settings.keylog);
  enableKeylog(n, ctx, keylog);
  return { n, ctx, keylog };
}

/** A server engine for one accepted connection (tests and custom drivers use it directly). */
export function newServerEngine(compiled: CompiledServer, peerAddr = 'unknown'): BoringEngine {
  const { n, ctx, keylog } = compiled;
  const conn = n.connNew(ctx, null, [], null, null);
  if (!conn) throw new TlsConfigError(`BoringSSL could not create a connection: ${n.lastError()}`);
  return new BoringEngine(n, conn, {
    side: 'server', source: 'downstream', peerAddr, keylog, certKeyHandle: (ck) => certKeyHandle(n, ck),
  });
}

/** Resumable sessions per upstream (address and SNI), bounded. */
class SessionCache {
  private readonly sessions = new Map<string, SessionHandle>();
  constructor(private readonly limit = 256) {}
  get(key: string): SessionHandle | undefined {
    return this.sessions.get(key);
  }
  set(key: string, session: SessionHandle): void {
    this.sessions.delete(key);
    this.sessions.set(key, session);
    if (this.sessions.size > this.limit) this.sessions.delete(this.sessions.keys().next().value!);
  }
}

export interface CompiledClient {
  n: BoringNative;
  ctx: CtxHandle;
  options: TlsClientOptions;
  keylog: KeylogCallback | undefined;
  sessions: SessionCache;
}

/** Compiles client options into one SSL_CTX. */
export function compileClient(options: TlsClientOptions): CompiledClient {
  const n = native();
  const ctx = newCtx(n, false, options.minVersion, options.maxVersion);
  setSuitesAndGroups(n, ctx, INTERMEDIATE_TLS12_SUITES, TLS13_SUITES, options.groups ?? defaultGroups(false), options.maxVersion === 'TLSv1.3');
  if (options.alpn && !n.ctxSetAlpn(ctx, options.alpn.wire())) throw new TlsConfigError(`BoringSSL refused ALPN ${options.alpn.protocols.join(',')}`);
  if (options.verifyCert) {
    const pem = options.caPem ?? (options.ca ? options.ca.map((c) => c.toString()).join('\n') : systemTrustStorePem());
    if (n.ctxAddTrust(ctx, pem, false) <= 0) throw new TlsConfigError('BoringSSL found no certificate in the trust store');
    n.ctxSetVerify(ctx, 1);
  } else {
    n.ctxSetVerify(ctx, 0);
  }
  if (options.clientCertKey && !n.ctxSetCertKey(ctx, certKeyHandle(n, options.clientCertKey))) {
    throw new TlsConfigError(`BoringSSL refused the client certificate of ${options.clientCertKey.origin}: ${n.lastError()}`);
  }
  const keylog = keylogWriter(options.keylog);
  enableKeylog(n, ctx, keylog);
  return { n, ctx, options, keylog, sessions: new SessionCache() };
}

function hostOf(addr: string): string {
  const m = /^\[(.*)\]:\d+$/.exec(addr) ?? /^(.*):\d+$/.exec(addr);
  return m ? m[1]! : addr;
}

/** A client engine for one upstream connection. */
export function newClientEngine(compiled: CompiledClient, target: ConnectTarget): BoringEngine {
  const { n, ctx, options, keylog, sessions } = compiled;
  // RFC 6066 3: literal IP addresses are not sent as SNI.
  const sni = target.sni && !isIP(target.sni) ? target.sni : undefined;
  const hosts: string[] = [];
  let ip: string | null = null;
  if (options.verifyCert && options.verifyHostname) {
    // The SNI, else (without alternativeCn) the address; alternativeCn is accepted as well.
    const name = target.sni || (options.alternativeCn ? '' : hostOf(target.addr));
    if (name && isIP(name)) ip = name;
    else if (name) hosts.push(name);
    if (options.alternativeCn) hosts.push(options.alternativeCn);
    // An address check and a name check would both have to pass: names win when there are any.
    if (hosts.length > 0) ip = null;
  }
  const key = `${target.addr}|${target.sni}`;
  // sessionResumption false: no session is offered, none is kept (every connection a full handshake).
  const resume = options.sessionResumption;
  const conn = n.connNew(ctx, sni ?? null, hosts, ip, resume ? sessions.get(key) ?? null : null);
  if (!conn) throw new TlsConfigError(`BoringSSL could not create a connection for ${target.addr}: ${n.lastError()}`);
  return new BoringEngine(n, conn, {
    side: 'client', source: 'upstream', sni, keylog,
    // A session not kept is freed by its handle's finalizer.
    onSession: (s) => {
      if (resume) sessions.set(key, s);
    },
  });
}

/** The BoringSSL backend: a statically linked BoringSSL in an N-API addon, behind core's EngineStream. */
export const boringBackend: TlsBackend = {
  name: 'boringssl',
  packageName: PACKAGE_NAME,
  get library(): string {
    return libraryName();
  },
  features: FEATURES,
  createAcceptor(settings: TlsSettings): TlsAcceptor {
    const compiled = compileServer(settings);
    return new EngineTlsAcceptor(settings, (conn: ConnectionInfo) => newServerEngine(compiled, conn.peerAddr));
  },
  createConnector(options: TlsClientOptions): TlsConnector {
    const compiled = compileClient(options);
    return new EngineTlsConnector(options, (target: ConnectTarget) => newClientEngine(compiled, target));
  },
};
