import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { TlsBackendUnavailableError } from '@proxy/core';

/** Opaque native handles (N-API externals). */
export type CtxHandle = { readonly __brand: 'SSL_CTX' };
export type ConnHandle = { readonly __brand: 'SSL' };
export type CertKeyHandle = { readonly __brand: 'CertKey' };
export type SessionHandle = { readonly __brand: 'SSL_SESSION' };

/**
 * What one receive/send/close/selectCertificate call produced. `output`: the records, one chunk
 * (a Buffer when small, else a view over one of the addon's recycled blocks) or, past one
 * block, a list of them.
 */
export type NativeResult = [status: number, output?: Uint8Array | Uint8Array[], plaintext?: Buffer, keylog?: string, session?: SessionHandle];

export const ST_HANDSHAKE_DONE = 1;
export const ST_PEER_CLOSED = 2;
export const ST_WANT_CERT = 4;
export const ST_ERROR = 8;
export const ST_NEW_SESSION = 16;
export const ST_KEYLOG = 32;

export const ERR_PROTOCOL = 1;
export const ERR_ALERT_RECEIVED = 2;
export const ERR_VERIFY = 3;
export const ERR_NO_PEER_CERT = 4;
export const ERR_INTERNAL = 5;

/** The addon's functions (native/addon.c). */
export interface BoringNative {
  version(): [library: string, apiVersion: number];
  lastError(): string;
  ctxNew(server: boolean): CtxHandle | undefined;
  ctxSetVersions(ctx: CtxHandle, min: number, max: number): boolean;
  ctxSetCiphers(ctx: CtxHandle, list: string): boolean;
  ctxSetGroups(ctx: CtxHandle, list: string): boolean;
  ctxSetAlpn(ctx: CtxHandle, wire: Uint8Array): boolean;
  ctxSetCertKey(ctx: CtxHandle, certKey: CertKeyHandle): boolean;
  ctxAddTrust(ctx: CtxHandle, pem: string, asClientCa: boolean): number;
  ctxSetVerify(ctx: CtxHandle, mode: number): void;
  ctxSetCertHook(ctx: CtxHandle, on: number): void;
  ctxSetTickets(ctx: CtxHandle, on: number): void;
  ctxSetKeylog(ctx: CtxHandle, on: number): void;
  /** Adds a session ticket key (nginx's 48- or 80-byte form); the first added encrypts. False when refused. */
  ctxAddTicketKey(ctx: CtxHandle, key: Uint8Array): boolean;
  certKeyNew(ders: Uint8Array[], keyPem: string): CertKeyHandle | undefined;
  connNew(ctx: CtxHandle, sni: string | null, hosts: string[], ip: string | null, session: SessionHandle | null): ConnHandle | undefined;
  connFree(conn: ConnHandle): void;
  connStart(conn: ConnHandle): NativeResult;
  connReceive(conn: ConnHandle, data: Uint8Array): NativeResult;
  connSend(conn: ConnHandle, data: Uint8Array): NativeResult;
  /** A batch of writes (at most 64) in one call: small ones are joined so that they share records. */
  connSendv(conn: ConnHandle, chunks: readonly Uint8Array[]): NativeResult;
  /** The socket is done with an output chunk: its block may be reused. Others are ignored. */
  connReleaseOutput(chunk: Uint8Array): void;
  connClose(conn: ConnHandle): NativeResult;
  connSelectCert(conn: ConnHandle, certKey: CertKeyHandle | null): NativeResult;
  connServerName(conn: ConnHandle): string | undefined;
  connDigest(conn: ConnHandle): [version: number, cipher: string | undefined, group: number, alpn: string | undefined, reused: boolean, peerCert: Buffer | undefined];
  connError(conn: ConnHandle): [kind: number, sentAlert: number, receivedAlert: number, verifyResult: number, message: string];
}

/** The addon as built by scripts/install.mjs (node-gyp), relative to dist/. */
export const ADDON_PATH = fileURLToPath(new URL('../build/Release/tls_boring.node', import.meta.url));

/** What is missing and how to fix it, for TlsBackendUnavailableError. */
export const UNAVAILABLE_HINT =
  "the native addon was not built because BoringSSL (built statically from Debian's android-platform-external-boringssl " +
  'source package into .cache/boringssl/) is missing; run `bash tools/setup.sh` to build it, then use this package again';

let loaded: { addon: BoringNative } | { error: Error } | undefined;

/** Loads the addon once; undefined when it is not there or does not load. Never throws. */
export function tryNative(): BoringNative | undefined {
  if (!loaded) {
    try {
      // PROXY_TLS_BORING_ADDON points elsewhere (tests of the missing-addon path use it).
      const path = process.env['PROXY_TLS_BORING_ADDON'] || ADDON_PATH;
      if (!existsSync(path)) throw new Error(`${path} does not exist`);
      loaded = { addon: createRequire(import.meta.url)(path) as BoringNative };
    } catch (error) {
      loaded = { error: error as Error };
    }
  }
  return 'addon' in loaded ? loaded.addon : undefined;
}

/** The addon, or TlsBackendUnavailableError naming what is missing and the fix. */
export function native(): BoringNative {
  const addon = tryNative();
  if (addon) return addon;
  const cause = loaded && 'error' in loaded ? loaded.error : undefined;
  throw new TlsBackendUnavailableError('boringssl', `${UNAVAILABLE_HINT} (${cause?.message ?? 'not loaded'})`, { cause });
}
