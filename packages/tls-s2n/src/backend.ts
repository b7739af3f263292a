import { createHash, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import {
  EngineTlsAcceptor, EngineTlsConnector, TlsConfigError, TlsFeatureUnsupportedError, X25519MLKEM768, defaultGroups, keylogWriter,
  systemTrustStorePem,
  type CertKey, type ConnectTarget, type ConnectionInfo, type TlsAcceptor, type TlsBackend, type TlsClientOptions,
  type TlsConnector, type TlsFeature, type TlsSettings, type TlsVersion,
} from '@proxy/core';
import { S2nEngine, type ServerHooks } from './engine.js';
import { AWS_CRT_VERSION, s2n, type ConfigOptions, type Handle, type S2nNative } from './native.js';

export const PACKAGE_NAME = '@proxy/tls-s2n';
export const LIBRARY = `s2n-tls (aws-crt ${AWS_CRT_VERSION}, AWS-LC 5.9.0)`;

const FEATURES: ReadonlySet<TlsFeature> = new Set<TlsFeature>([
  'tls1.2', 'tls1.3', 'alpn', 'alpn-custom', 'client-auth-required', 'client-auth-optional', 'keylog',
  'certificate-callback', 'async-certificate-callback', 'session-tickets', 'disable-session-tickets',
  'client-certificate', 'custom-ca', 'verify-disable', 'no-sni', 'group-x25519mlkem768',
  // Every listed key (s2nTicketKey), introduced so that the first encrypts and the others only
  // decrypt (the addon's configNew says how).
  'session-ticket-keys', 'session-ticket-key-rotation',
]);

/**
 * A shared ticket key (nginx's 48- or 80-byte format) in the form s2n_config_add_ticket_crypto_key
 * takes: the 16-byte name, then 32 bytes of key material, here SHA-256 of the key's secret
 * parts (s2n derives the ticket keys from it with HKDF). Every process derives the same bytes.
 */
export function s2nTicketKey(key: Buffer): Buffer {
  return Buffer.concat([key.subarray(0, 16), createHash('sha256').update(key.subarray(16)).digest()]);
}

/**
 * s2n security policies (s2n has no cipher-list API). All are ECDHE-only, all but tls12
 * are AEAD-only. No s2n policy is TLS 1.2-only with AEAD suites only: "20240501" (TLS 1.2,
 * ECDHE, AES-GCM first, then AES-CBC-SHA256/384; x25519, P-256, P-384, P-521) is the closest.
 */
export const POLICIES = {
  /** TLS 1.2 + 1.3, ECDHE, AES-GCM and ChaCha20-Poly1305; x25519, P-256, P-384. */
  intermediate: 'CloudFront-TLS-1-2-2021',
  /**
   * TLS 1.3 only: AES-GCM and ChaCha20-Poly1305; x25519, P-256, P-384 (not "20200207", whose
   * groups include P-521, so a P-521 key share would get no HelloRetryRequest to P-256).
   */
  modern: 'AWS-CRT-SDK-TLSv1.3',
  /** TLS 1.2 only. */
  tls12: '20240501',
  /**
   * intermediate with the hybrid post-quantum groups first (TLS 1.3): X25519MLKEM768,
   * SecP256r1MLKEM768, SecP384r1MLKEM1024, then x25519, P-256, P-384; key shares
   * X25519MLKEM768 and x25519. The same suites as intermediate.
   */
  intermediatePq: 'CloudFront-TLS-1-2-2021-PQ',
  /** modern with X25519MLKEM768 and SecP256r1MLKEM768 first; the same suites and classical groups. */
  modernPq: 'CloudFront-TLS-1-3-2025',
} as const;

/** `hybrid`: the groups to offer include X25519MLKEM768 (the default; `setGroups` without it turns it off). */
function policyFor(min: TlsVersion, max: TlsVersion, hybrid: boolean): string {
  if (min === 'TLSv1.3') return hybrid ? POLICIES.modernPq : POLICIES.modern;
  if (max === 'TLSv1.2') return POLICIES.tls12;
  return hybrid ? POLICIES.intermediatePq : POLICIES.intermediate;
}

/** s2n's numbers for protocol versions. */
const VERSION_NUMBER: Record<TlsVersion, number> = { 'TLSv1.2': 33, 'TLSv1.3': 34 };

/** Read on first use, not at import: a bad PROXY_TLS_S2N_MAX_BLINDING_SECONDS fails createAcceptor, not the import. */
let maxBlindingSeconds: number | undefined;

function defaultBlinding(): number {
  const env = process.env['PROXY_TLS_S2N_MAX_BLINDING_SECONDS'];
  if (env === undefined || env === '') return 1;
  const n = Number(env);
  if (!Number.isInteger(n) || n < 1 || n > 30) {
    throw new TlsConfigError(`PROXY_TLS_S2N_MAX_BLINDING_SECONDS must be an integer from 1 to 30, got ${JSON.stringify(env)}`);
  }
  return n;
}

/**
 * The cap on s2n's blinding delay for listeners compiled from now on (default 1 s, or
 * PROXY_TLS_S2N_MAX_BLINDING_SECONDS). s2n's own default is 30 s; see the README for why 1 s.
 */
export function setMaxBlindingSeconds(seconds: number): void {
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 30) throw new TlsConfigError(`max blinding delay must be 1..30 s, got ${seconds}`);
  maxBlindingSeconds = seconds;
}

export function maxBlindingDelaySeconds(): number {
  maxBlindingSeconds ??= defaultBlinding();
  return maxBlindingSeconds;
}

function unsupported(feature: string, detail?: string): TlsFeatureUnsupportedError {
  return new TlsFeatureUnsupportedError('s2n', feature, detail);
}

const KEY_TYPES = new Set(['rsa', 'ec']);

function checkKey(certKey: CertKey | undefined, what: string): void {
  if (!certKey) return;
  if (!KEY_TYPES.has(certKey.keyType)) throw unsupported(`${what} key type ${certKey.keyType}`, 's2n takes RSA and ECDSA keys');
  if (certKey.keyType === 'ec') {
    const curve = certKey.key.asymmetricKeyDetails?.namedCurve;
    if (curve && !['prime256v1', 'secp384r1', 'secp521r1'].includes(curve)) throw unsupported(`${what} EC curve ${curve}`);
  }
}

function certPair(certKey: CertKey): [string, string] {
  return [certKey.chain.map((c) => c.toString()).join('\n'), certKey.keyPem];
}

/** A compiled listener: the shared settings, a default config and one cached config per CertKey. */
export class S2nServerContext implements ServerHooks {
  readonly defaultConfig: Handle;
  readonly hasDefaultCert: boolean;
  readonly certificateCallback: boolean;
  readonly alpn: readonly string[] | undefined;
  readonly minVersion: number;
  readonly maxVersion: number;
  private readonly common: ConfigOptions;
  private readonly perCert = new Map<string, Handle>();

  constructor(private readonly native: S2nNative, settings: TlsSettings) {
    this.alpn = settings.alpn?.protocols;
    this.minVersion = VERSION_NUMBER[settings.minVersion];
    this.maxVersion = VERSION_NUMBER[settings.maxVersion];
    this.certificateCallback = !!settings.callbacks.certificate;
    this.hasDefaultCert = !!settings.certKey;
    const keylog = keylogWriter(settings.keylog);
    this.common = {
      server: true,
      policy: policyFor(settings.minVersion, settings.maxVersion, settings.groupsFor(true).includes(X25519MLKEM768)),
      alpn: this.alpn ? [...this.alpn] : undefined,
      clientAuth: settings.clientAuth ? (settings.clientAuth.required ? 1 : 2) : 0,
      caPem: settings.clientAuth?.caPem,
      // s2n checks a client certificate's names against the server name unless told otherwise.
      acceptAnyHost: !!settings.clientAuth,
      keylog,
      // A random key per acceptor, shared by all its configs: a ticket from one certificate's
      // config resumes on another's. Shared keys (setTicketKeys): all of them, in s2n's form.
      ticketKeys: settings.sessionTickets ? (settings.ticketKeys?.map(s2nTicketKey) ?? [randomBytes(48)]) : undefined,
      maxBlinding: maxBlindingDelaySeconds(),
    };
    this.defaultConfig = this.compile(settings.certKey);
  }

  private compile(certKey: CertKey | undefined): Handle {
    return this.native.configNew({ ...this.common, certs: certKey ? [certPair(certKey)] : [] });
  }

  configFor(certKey: CertKey): Handle {
    const key = certKey.fingerprint + certKey.keyType;
    let config = this.perCert.get(key);
    if (!config) {
      checkKey(certKey, 'certificate');
      config = this.compile(certKey);
      // Bounded: connections hold their own reference to the config they use.
      if (this.perCert.size >= 256) this.perCert.delete(this.perCert.keys().next().value!);
      this.perCert.set(key, config);
    }
    return config;
  }
}

/** Compiles listener settings; a setting s2n cannot honour throws TlsFeatureUnsupportedError here. */
export function compileServer(settings: TlsSettings, native: S2nNative = s2n()): S2nServerContext {
  for (const f of settings.requiredFeatures()) {
    if (!FEATURES.has(f)) throw unsupported(f, f === 'native' ? 'there is no builder to hand over: s2n configs are compiled in the addon' : undefined);
  }
  checkKey(settings.certKey, 'certificate');
  return new S2nServerContext(native, settings);
}

/** Sessions a connector keeps: by `${addr}|${sni}`, the oldest dropped beyond this many. */
export const SESSION_STORE_SIZE = 256;

/** A compiled connector: one s2n config for every upstream it connects to. */
export class S2nClientContext {
  readonly config: Handle;
  /** The latest session per upstream (`${addr}|${sni}`), unless sessionResumption is false. */
  private readonly sessions: Map<string, Buffer> | undefined;

  constructor(private readonly native: S2nNative, private readonly options: TlsClientOptions) {
    this.config = native.configNew({
      server: false,
      policy: policyFor(options.minVersion, options.maxVersion, (options.groups ?? defaultGroups(true)).includes(X25519MLKEM768)),
      alpn: options.alpn ? [...options.alpn.protocols] : undefined,
      caPem: options.caPem ?? systemTrustStorePem(),
      disableVerify: !options.verifyCert,
      acceptAnyHost: options.verifyCert && !options.verifyHostname,
      certs: options.clientCertKey ? [certPair(options.clientCertKey)] : [],
      keylog: keylogWriter(options.keylog),
      sessionTickets: options.sessionResumption,
    });
    this.sessions = options.sessionResumption ? new Map() : undefined;
  }

  private saveSession(key: string, session: Buffer): void {
    const sessions = this.sessions!;
    sessions.delete(key);
    if (sessions.size >= SESSION_STORE_SIZE) sessions.delete(sessions.keys().next().value!);
    sessions.set(key, session);
  }

  engine(target: ConnectTarget): S2nEngine {
    const options = this.options;
    const host = target.addr.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    // RFC 6066 3: literal IP addresses are not sent as SNI.
    const sni = target.sni && !isIP(target.sni) ? target.sni : undefined;
    const verifyNames = options.verifyCert && options.verifyHostname
      ? [...new Set([target.sni || (options.alternativeCn ? '' : host), options.alternativeCn ?? ''].filter(Boolean))]
      : undefined;
    const key = `${target.addr}|${target.sni}`;
    return new S2nEngine({
      side: 'client', native: this.native, config: this.config, sni, verifyNames,
      session: this.sessions?.get(key),
      onSession: this.sessions ? (session) => this.saveSession(key, session) : undefined,
    });
  }
}

export function compileClient(options: TlsClientOptions, native: S2nNative = s2n()): S2nClientContext {
  if (options.minVersion === 'TLSv1.3' && options.maxVersion === 'TLSv1.2') throw unsupported('an empty version range');
  checkKey(options.clientCertKey, 'client certificate');
  return new S2nClientContext(native, options);
}

/** A server engine for one accepted connection (for tests and custom drivers). */
export function newServerEngine(ctx: S2nServerContext, peerAddr = 'unknown', native: S2nNative = s2n()): S2nEngine {
  return new S2nEngine({ side: 'server', native, config: ctx.defaultConfig, server: ctx, peerAddr });
}

/** The s2n-tls backend. */
export const s2nBackend: TlsBackend = {
  name: 's2n',
  packageName: PACKAGE_NAME,
  library: LIBRARY,
  features: FEATURES,
  createAcceptor(settings: TlsSettings): TlsAcceptor {
    const native = s2n();
    const ctx = compileServer(settings, native);
    return new EngineTlsAcceptor(settings, (conn: ConnectionInfo) => newServerEngine(ctx, conn.peerAddr, native));
  },
  createConnector(options: TlsClientOptions): TlsConnector {
    const ctx = compileClient(options, s2n());
    return new EngineTlsConnector(options, (target: ConnectTarget) => ctx.engine(target));
  },
};
