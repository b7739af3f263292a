import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { ConfigError, ServerConf, type TlsVersion } from '@proxy/core';

export interface ListenerTlsConfig {
  cert: string;
  key: string;
  alpn: 'h1' | 'h2' | 'h2h1';
  sessionTickets: boolean;
  minVersion: TlsVersion;
  maxVersion: TlsVersion;
  clientCa: string | undefined;
  clientAuth: 'required' | 'optional' | undefined;
  keylog: string | undefined;
  /** Refuse ClientHellos for other names with unrecognized_name (nginx ssl_reject_handshake). */
  strictSni: boolean;
  /** The names strict SNI accepts; default: the certificate's DNS names. */
  serverNames: string[] | undefined;
  /** Watch the certificate and key files (fs.watch on their directories) and reload them when they change. */
  watch: boolean;
  /** TLS 1.2 session-ID cache entries (clients without tickets); 0: off. Shared by the workers where the backend can. */
  sessionIdCache: number;
}

export interface ListenerConfig {
  address: string;
  tls: ListenerTlsConfig | undefined;
}

export interface RouteConfig {
  /** Exact host (without port), "*.suffix", or undefined for any. */
  host: string | undefined;
  /** Path prefix. */
  path: string;
  upstream: string;
  /** The route's label in metrics; default host + path prefix. */
  name?: string | undefined;
  tls: boolean;
  sni: string | undefined;
  verify: boolean;
  verifyHostname: boolean;
  ca: string | undefined;
  alternativeCn: string | undefined;
  clientCert: string | undefined;
  clientKey: string | undefined;
  alpn: 'h1' | 'h2' | 'h2h1';
  connectionTimeoutMs: number | undefined;
  readTimeoutMs: number | undefined;
  /** Largest request body (nginx client_max_body_size); undefined: no limit. 413 past it. */
  maxRequestBodyBytes?: number | undefined;
}

export interface GatewayConfig {
  server: ServerConf;
  listeners: ListenerConfig[];
  routes: RouteConfig[];
}

type Obj = Record<string, unknown>;

/** Reads a gateway YAML file: ServerConf keys at the top level, plus `listeners` and `routes`. */
export function loadGatewayConfig(path: string): GatewayConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read gateway config ${path}: ${(err as Error).message}`, { file: path, cause: err });
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new ConfigError(`${path}: not valid YAML: ${(err as Error).message}`, { file: path, cause: err });
  }
  return parseGatewayConfig(doc, path);
}

export function parseGatewayConfig(doc: unknown, origin: string): GatewayConfig {
  if (!isObj(doc)) throw new ConfigError(`${origin}: the top level must be a mapping`, { file: origin });
  const { listeners, routes, ...rest } = doc;
  const server = ServerConf.fromObject(rest, origin);
  if (!Array.isArray(listeners) || listeners.length === 0) {
    throw new ConfigError(`${origin}: "listeners" must be a non-empty list`, { file: origin });
  }
  if (!Array.isArray(routes) || routes.length === 0) {
    throw new ConfigError(`${origin}: "routes" must be a non-empty list`, { file: origin });
  }
  return {
    server,
    listeners: listeners.map((l, i) => parseListener(l, `${origin}: listeners[${i}]`)),
    routes: routes.map((r, i) => parseRoute(r, `${origin}: routes[${i}]`)),
  };
}

function parseListener(l: unknown, where: string): ListenerConfig {
  if (!isObj(l)) throw new ConfigError(`${where} must be a mapping`);
  const address = req(l, 'address', 'string', where);
  if (l['tls'] === undefined || l['tls'] === null || l['tls'] === false) return { address, tls: undefined };
  const t = l['tls'];
  if (!isObj(t)) throw new ConfigError(`${where}.tls must be a mapping`);
  const w = `${where}.tls`;
  return {
    address,
    tls: {
      cert: req(t, 'cert', 'string', w),
      key: req(t, 'key', 'string', w),
      alpn: oneOf(t, 'alpn', ['h1', 'h2', 'h2h1'], 'h2h1', w),
      sessionTickets: opt(t, 'session_tickets', 'boolean', w) ?? true,
      minVersion: oneOf(t, 'min_version', ['TLSv1.2', 'TLSv1.3'], 'TLSv1.2', w),
      maxVersion: oneOf(t, 'max_version', ['TLSv1.2', 'TLSv1.3'], 'TLSv1.3', w),
      clientCa: opt(t, 'client_ca', 'string', w),
      clientAuth: t['client_ca'] ? oneOf(t, 'client_auth', ['required', 'optional'], 'required', w) : undefined,
      keylog: opt(t, 'keylog', 'string', w),
      strictSni: opt(t, 'strict_sni', 'boolean', w) ?? false,
      serverNames: stringList(t, 'server_names', w),
      watch: opt(t, 'watch', 'boolean', w) ?? false,
      sessionIdCache: nonNegative(opt(t, 'session_id_cache', 'number', w), `${w}.session_id_cache`) ?? 0,
    },
  };
}

function parseRoute(r: unknown, where: string): RouteConfig {
  if (!isObj(r)) throw new ConfigError(`${where} must be a mapping`);
  const verify = opt(r, 'verify', 'boolean', where) ?? true;
  const clientCert = opt(r, 'client_cert', 'string', where);
  const clientKey = opt(r, 'client_key', 'string', where);
  if ((clientCert === undefined) !== (clientKey === undefined)) {
    throw new ConfigError(`${where}: client_cert and client_key go together`);
  }
  return {
    host: opt(r, 'host', 'string', where)?.toLowerCase(),
    path: opt(r, 'path', 'string', where) ?? '/',
    upstream: req(r, 'upstream', 'string', where),
    name: opt(r, 'name', 'string', where),
    tls: opt(r, 'tls', 'boolean', where) ?? false,
    sni: opt(r, 'sni', 'string', where),
    verify,
    verifyHostname: opt(r, 'verify_hostname', 'boolean', where) ?? verify,
    ca: opt(r, 'ca', 'string', where),
    alternativeCn: opt(r, 'alternative_cn', 'string', where),
    clientCert,
    clientKey,
    alpn: oneOf(r, 'alpn', ['h1', 'h2', 'h2h1'], 'h1', where),
    connectionTimeoutMs: opt(r, 'connection_timeout_ms', 'number', where),
    readTimeoutMs: opt(r, 'read_timeout_ms', 'number', where),
    maxRequestBodyBytes: nonNegative(opt(r, 'max_request_body_bytes', 'number', where), `${where}.max_request_body_bytes`),
  };
}

function nonNegative(v: number | undefined, what: string): number | undefined {
  if (v !== undefined && !(Number.isInteger(v) && v >= 0)) throw new ConfigError(`${what} must be a whole number >= 0, got ${v}`);
  return v;
}

function stringList(o: Obj, key: string, where: string): string[] | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.length === 0 || v.some((x) => typeof x !== 'string')) {
    throw new ConfigError(`${where}.${key} must be a non-empty list of strings`);
  }
  return v as string[];
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

type TypeName = 'string' | 'boolean' | 'number';
type TypeOf<T extends TypeName> = T extends 'string' ? string : T extends 'boolean' ? boolean : number;

function opt<T extends TypeName>(o: Obj, key: string, type: T, where: string): TypeOf<T> | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== type) throw new ConfigError(`${where}.${key} must be a ${type}, got ${JSON.stringify(v)}`);
  return v as TypeOf<T>;
}

function req<T extends TypeName>(o: Obj, key: string, type: T, where: string): TypeOf<T> {
  const v = opt(o, key, type, where);
  if (v === undefined) throw new ConfigError(`${where}.${key} is required`);
  return v;
}

function oneOf<const T extends string>(o: Obj, key: string, values: readonly T[], dflt: T, where: string): T {
  const v = opt(o, key, 'string', where);
  if (v === undefined) return dflt;
  if (!values.includes(v as T)) throw new ConfigError(`${where}.${key} must be one of ${values.join(', ')}, got ${JSON.stringify(v)}`);
  return v as T;
}
