import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch, platform } from 'node:process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TlsBackendUnavailableError } from '@proxy/core';

/** The aws-crt release whose prebuilt binary provides s2n-tls (pinned exactly in package.json). */
export const AWS_CRT_VERSION = '1.33.2';

export type Handle = { readonly __brand: 'external' };

export interface ConfigOptions {
  server: boolean;
  policy: string;
  certs?: Array<[string, string]>;
  alpn?: string[];
  clientAuth?: 0 | 1 | 2;
  caPem?: string;
  acceptAnyHost?: boolean;
  disableVerify?: boolean;
  keylog?: (line: string) => void;
  /** Session ticket keys in s2n's form (s2nTicketKey: 16 bytes of name, then 32 of key); the first encrypts, the others only decrypt. */
  ticketKeys?: Buffer[];
  maxBlinding?: number;
  /** Client: ask for session tickets and keep each one received (connTakeSession). */
  sessionTickets?: boolean;
}

/** The addon's functions (native/s2n_addon.c). */
export interface S2nNative {
  /** null when loaded; else what is missing. `alsoRequire`: one more function to look up (tests). */
  load(path: string, alsoRequire?: string): string | null;
  functionNames(): string[];
  configNew(options: ConfigOptions): Handle;
  /** Tests only: s2n sees this config's wall clock moved by `seconds` (ticket key windows, ticket ages). */
  configShiftClockForTests(config: Handle, seconds: number): void;
  /** `session`: a client's saved session (s2n_connection_set_session); a refused one means a full handshake. */
  connNew(config: Handle, server: boolean, sni: string | null, names: string[] | null, session?: Buffer | null): Handle;
  /** Client: the latest session ticket received (status bit SESSION), or null. */
  connTakeSession(conn: Handle): Buffer | null;
  /**
   * What s2n writes is appended to `out`, decrypted data to `plaintext`: one Buffer per call
   * (per 80 KiB block when there is more), not one per record.
   */
  connFeed(conn: Handle, data: Uint8Array | null, out: Buffer[], plaintext: Buffer[]): number;
  /** An array is encrypted as one stream (records span its items). */
  connSend(conn: Handle, data: Uint8Array | readonly Uint8Array[], out: Buffer[]): number;
  connShutdown(conn: Handle, out: Buffer[]): number;
  connHelloDone(conn: Handle, config: Handle | null, out: Buffer[], plaintext: Buffer[]): number;
  connTakeOutput(conn: Handle): Buffer | null;
  connTakePlaintext(conn: Handle): Buffer | null;
  /** [name, message, type, receivedAlert, delayNs, the alert for this error or -1, bytes written so far] */
  connError(conn: Handle): [string | null, string | null, number, number, number, number, number];
  connDelay(conn: Handle): number;
  /** [serverName, ALPN extension body, supported_versions extension body, legacy version (s2n number)] */
  connHello(conn: Handle): [string | null, Buffer | null, Buffer | null, number];
  /** [version, cipher IANA value, group, sni, alpn, resumed, peer leaf DER] */
  connInfo(conn: Handle): [number, number, string | null, string | null, string | null, boolean, Buffer | null];
  connFree(conn: Handle): void;
  /** The socket has written (or dropped) an output chunk: its block may be reused. Others are ignored. */
  connReleaseOutput(chunk: Uint8Array): void;
}

/** Status bits returned by connFeed, connSend and connHelloDone. */
export const Status = {
  HANDSHAKE_DONE: 1,
  HELLO: 2,
  PEER_CLOSED: 4,
  ERROR: 8,
  OUTPUT: 16,
  PLAINTEXT: 32,
  /** A client received a session ticket (connTakeSession). */
  SESSION: 64,
} as const;

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

/** Where aws-crt keeps the binary for this platform, or why there is none. */
export function awsCrtBinaryDir(plat: string = platform, cpu: string = arch, musl: boolean = isMusl()): string {
  if (plat !== 'linux') throw new Error(`platform ${plat} (aws-crt's s2n binaries are used on Linux only)`);
  const cpuName = cpu === 'x64' ? 'x64' : cpu === 'arm64' ? 'arm64' : undefined;
  if (!cpuName) throw new Error(`architecture ${cpu} (aws-crt ships x64 and arm64 Linux binaries)`);
  return `linux-${cpuName}-${musl ? 'musl' : 'glibc'}`;
}

function isMusl(): boolean {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return !report?.header?.glibcVersionRuntime;
}

let cached: { native: S2nNative } | { error: TlsBackendUnavailableError } | undefined;

/** Test hook: pretend to run on another platform (the unavailable path). */
let platformOverride: { platform: string; arch: string } | undefined;
export function simulatePlatformForTests(p: { platform: string; arch: string } | undefined): void {
  platformOverride = p;
  cached = undefined;
}

/** Test hook: require one more s2n function, as a binary lacking one would (the dlsym-miss path). */
let extraFunction: string | undefined;
export function simulateMissingFunctionForTests(name: string | undefined): void {
  extraFunction = name;
  cached = undefined;
}

function unavailable(what: string, cause?: unknown): TlsBackendUnavailableError {
  return new TlsBackendUnavailableError(
    's2n',
    `${what}; s2n-tls comes from the prebuilt binary of aws-crt ${AWS_CRT_VERSION}. ` +
      'Fix: on Linux x64/arm64, `pnpm install` then `pnpm --filter @proxy/tls-s2n build` (needs a C compiler and npm_config_nodedir=/usr)',
    { cause },
  );
}

/**
 * Loads s2n: aws-crt's binding first (Node loads its .node, and it runs s2n_init), then the
 * addon, which finds every s2n function in that already-loaded binary (dlopen RTLD_NOLOAD).
 * Throws TlsBackendUnavailableError naming what is missing; never at import time.
 */
export function s2n(): S2nNative {
  if (!cached) cached = loadOnce();
  if ('error' in cached) throw cached.error;
  return cached.native;
}

function loadOnce(): { native: S2nNative } | { error: TlsBackendUnavailableError } {
  let dir: string;
  try {
    dir = platformOverride ? awsCrtBinaryDir(platformOverride.platform, platformOverride.arch) : awsCrtBinaryDir();
  } catch (error) {
    return { error: unavailable(`unsupported ${(error as Error).message}`) };
  }
  let crtRoot: string;
  try {
    crtRoot = dirname(require.resolve('aws-crt/package.json'));
    const version = (JSON.parse(readFileSync(join(crtRoot, 'package.json'), 'utf8')) as { version: string }).version;
    if (version !== AWS_CRT_VERSION) return { error: unavailable(`aws-crt ${version} is installed, not ${AWS_CRT_VERSION}`) };
  } catch (error) {
    return { error: unavailable('the aws-crt package is not installed', error) };
  }
  const binary = join(crtRoot, 'dist', 'bin', dir, 'aws-crt-nodejs.node');
  if (!existsSync(binary)) return { error: unavailable(`aws-crt has no binary at ${binary}`) };
  const addonPath = join(packageRoot, 'build', 'Release', 'proxy_s2n.node');
  if (!existsSync(addonPath)) return { error: unavailable(`the addon ${addonPath} is not built`) };
  try {
    require('aws-crt/dist/native/binding');
  } catch (error) {
    return { error: unavailable(`aws-crt's binding did not load (${(error as Error).message})`, error) };
  }
  let native: S2nNative;
  try {
    native = require(addonPath) as S2nNative;
  } catch (error) {
    return { error: unavailable(`the addon did not load (${(error as Error).message})`, error) };
  }
  const problem = native.load(binary, extraFunction);
  if (problem) return { error: unavailable(problem) };
  return { native };
}

/** The s2n functions the addon needs (for the test against the pinned binary). Needs the addon built. */
export function requiredFunctions(): string[] {
  const addonPath = join(packageRoot, 'build', 'Release', 'proxy_s2n.node');
  return (require(addonPath) as S2nNative).functionNames();
}
