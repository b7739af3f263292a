import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { ConfigError } from '../errors/index.js';
import { isCidr } from '../listeners/cidr.js';

/** The YAML keys, as Pingora spells them. */
export interface ServerConfYaml {
  version?: number;
  threads?: number;
  pid_file?: string;
  error_log?: string;
  ca_file?: string;
  s2n_config_cache_size?: number;
  upstream_keepalive_pool_size?: number;
  grace_period_seconds?: number;
  graceful_shutdown_timeout_seconds?: number;
  max_retries?: number;
  // operations (issue 14)
  metrics?: string;
  log_format?: 'text' | 'json';
  access_log?: string;
  session_ticket_rotation_seconds?: number;
  [extension: string]: unknown;
}

/**
 * The resource limits (docs/limits.md): YAML key → ServerConf field, with the smallest value
 * allowed. Defaults are on the fields; nginx's are the reference.
 */
export const LIMIT_KEYS = {
  request_header_timeout_ms: ['requestHeaderTimeoutMs', 1],
  client_timeout_ms: ['clientTimeoutMs', 1],
  keepalive_timeout_ms: ['keepaliveTimeoutMs', 1],
  keepalive_requests: ['keepaliveRequests', 0],
  max_request_header_bytes: ['maxRequestHeaderBytes', 1024],
  max_request_headers: ['maxRequestHeaders', 1],
  max_request_line_bytes: ['maxRequestLineBytes', 64],
  h2_max_concurrent_streams: ['h2MaxConcurrentStreams', 1],
  h2_idle_timeout_ms: ['h2IdleTimeoutMs', 1],
  h2_rapid_reset_budget: ['h2RapidResetBudget', 1],
  h2_control_frame_budget: ['h2ControlFrameBudget', 1],
  h2_budget_window_ms: ['h2BudgetWindowMs', 100],
  h2_max_invalid_frames: ['h2MaxInvalidFrames', 0],
  upstream_connect_timeout_ms: ['upstreamConnectTimeoutMs', 1],
  upstream_read_timeout_ms: ['upstreamReadTimeoutMs', 1],
  upstream_write_timeout_ms: ['upstreamWriteTimeoutMs', 1],
  retry_budget_ms: ['retryBudgetMs', 0],
  max_connections: ['maxConnections', 0],
  max_connections_per_ip: ['maxConnectionsPerIp', 0],
  max_new_connections_per_second_per_ip: ['maxNewConnectionsPerSecondPerIp', 0],
  max_new_connections_per_second_per_ja4: ['maxNewConnectionsPerSecondPerJa4', 0],
} as const satisfies Record<string, readonly [keyof ServerConf, number]>;

const KNOWN_KEYS = new Set<string>([
  'version', 'threads', 'pid_file', 'error_log', 'ca_file', 's2n_config_cache_size',
  'upstream_keepalive_pool_size', 'grace_period_seconds', 'graceful_shutdown_timeout_seconds', 'max_retries',
  'allow_cidrs', 'deny_cidrs', ...Object.keys(LIMIT_KEYS),
]);
// operations (issue 14)
for (const k of ['metrics', 'log_format', 'access_log', 'session_ticket_rotation_seconds']) KNOWN_KEYS.add(k);

/**
 * Server-wide configuration (Pingora's ServerConf). Field names are camelCase here and
 * snake_case in YAML; keys this class does not know are kept in `extensions` for the user.
 */
export class ServerConf {
  version = 1;
  /** Worker processes sharing the listeners; 1 runs in this process. */
  threads = 1;
  /** Written with the primary's pid on start when set. */
  pidFile: string | undefined;
  /** Where errors are logged; undefined: stderr. */
  errorLog: string | undefined;
  /** Default trust store for upstream certificate verification; undefined: the system's. */
  caFile: string | undefined;
  /** Compiled client TLS configurations kept (an LRU); 0 disables the cache. */
  s2nConfigCacheSize = 10;
  /** Idle upstream connections kept for reuse. */
  upstreamKeepalivePoolSize = 128;
  /** On SIGTERM: keep accepting for this long before closing the listeners. */
  gracePeriodSeconds = 0;
  /** After the listeners close: how long in-flight requests may take before connections are cut. */
  gracefulShutdownTimeoutSeconds = 5;
  /** New upstream attempts after a retryable failure (refused connect, a pooled connection the origin had closed). */
  maxRetries = 2;
  /** No new upstream attempt starts later than this after the first (ms); 0: no time limit. */
  retryBudgetMs = 10_000;

  // ---- downstream limits (docs/limits.md) ----
  /** The whole HTTP/1.1 request head must arrive within this (ms) of its first byte (slowloris); nginx client_header_timeout. */
  requestHeaderTimeoutMs = 30_000;
  /** An HTTP/1.1 connection reading a body or writing a response with no progress for this long is closed (ms); nginx client_body_timeout/send_timeout. */
  clientTimeoutMs = 60_000;
  /** An idle HTTP/1.1 keep-alive connection is closed after this (ms); nginx keepalive_timeout. */
  keepaliveTimeoutMs = 60_000;
  /** Requests served on one HTTP/1.1 connection before it is closed; 0: no limit. nginx keepalive_requests. */
  keepaliveRequests = 1000;
  /** Request line plus header fields, in bytes (431 past it); nginx large_client_header_buffers 4 x 8k. */
  maxRequestHeaderBytes = 32 * 1024;
  /** Header fields in one request (431 past it; HTTP/2: the stream is refused). */
  maxRequestHeaders = 128;
  /** Request line length, in bytes (414 past it); nginx large_client_header_buffers 8k. */
  maxRequestLineBytes = 8 * 1024;
  /** SETTINGS_MAX_CONCURRENT_STREAMS offered to HTTP/2 clients; nginx http2_max_concurrent_streams. */
  h2MaxConcurrentStreams = 128;
  /** An HTTP/2 connection with no stream and no frame for this long gets GOAWAY and is closed (ms). */
  h2IdleTimeoutMs = 60_000;
  /** Streams an HTTP/2 client may reset before their response ended, per window, before GOAWAY ENHANCE_YOUR_CALM (rapid reset). */
  h2RapidResetBudget = 500;
  /** SETTINGS + PING frames an HTTP/2 client may send per window before GOAWAY ENHANCE_YOUR_CALM. */
  h2ControlFrameBudget = 1000;
  /** The window of the two HTTP/2 budgets above (ms). */
  h2BudgetWindowMs = 10_000;
  /** Invalid frames (including empty DATA frames) before node:http2 destroys the session (its maxSessionInvalidFrames). */
  h2MaxInvalidFrames = 1000;

  // ---- upstream defaults, for peers that set none ----
  /** TCP connect, and separately the TLS handshake, to an origin (ms); nginx proxy_connect_timeout. 502/504 past it. */
  upstreamConnectTimeoutMs = 60_000;
  /** Longest wait for the next bytes of an upstream response (ms); nginx proxy_read_timeout. 504 past it. */
  upstreamReadTimeoutMs = 60_000;
  /** Longest wait for an origin to accept more request bytes (ms); nginx proxy_send_timeout. 504 past it. */
  upstreamWriteTimeoutMs = 60_000;

  // ---- connection limits (the built-in ConnectionLimits filter, before any TLS byte) ----
  /** Open downstream connections per process; 0: no cap (accepts pause near the file-descriptor limit instead). */
  maxConnections = 0;
  /** Open downstream connections per client IP; 0: no limit. */
  maxConnectionsPerIp = 0;
  /** New connections per second per client IP; 0: no limit. */
  maxNewConnectionsPerSecondPerIp = 0;
  /** New TLS connections per second with one JA4 ClientHello fingerprint; 0: no limit. */
  maxNewConnectionsPerSecondPerJa4 = 0;
  /** Only clients in these CIDRs are accepted; empty: all. */
  allowCidrs: string[] = [];
  /** Clients in these CIDRs are refused. */
  denyCidrs: string[] = [];
  /** "host:port" of the Prometheus endpoint (GET /metrics); undefined: no metrics. */
  metrics: string | undefined;
  /** Log lines as readable text or JSON lines. */
  logFormat: 'text' | 'json' = 'text';
  /** Access log: "off", "stderr", "stdout" or a file path. */
  accessLog = 'off';
  /** Session ticket keys (made by the primary, shared by the workers) rotate this often; 0: never. */
  sessionTicketRotationSeconds = 0;
  /** Keys this class does not know, kept for user extensions. */
  readonly extensions: Record<string, unknown> = {};

  constructor(partial: Partial<Omit<ServerConf, 'extensions'>> = {}) {
    Object.assign(this, partial);
    this.validate();
  }

  /** Reads a YAML file; errors name the file and the key. */
  static load(path: string): ServerConf {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`, { file: path, cause: err });
    }
    return ServerConf.fromYaml(text, path);
  }

  static fromYaml(text: string, origin = 'inline YAML'): ServerConf {
    let doc: unknown;
    try {
      doc = parse(text);
    } catch (err) {
      throw new ConfigError(`${origin}: not valid YAML: ${(err as Error).message}`, { file: origin, cause: err });
    }
    if (doc === null || doc === undefined) doc = {};
    if (typeof doc !== 'object' || Array.isArray(doc)) {
      throw new ConfigError(`${origin}: the top level must be a mapping of keys`, { file: origin });
    }
    return ServerConf.fromObject(doc as ServerConfYaml, origin);
  }

  static fromObject(y: ServerConfYaml, origin = 'config'): ServerConf {
    const num = (key: string, min: number): number | undefined => {
      const v = y[key];
      if (v === undefined || v === null) return undefined;
      if (typeof v !== 'number' || !Number.isFinite(v) || v < min) {
        throw new ConfigError(`${origin}: ${key} must be a number >= ${min}, got ${JSON.stringify(v)}`, { file: origin });
      }
      return v;
    };
    const str = (key: string): string | undefined => {
      const v = y[key];
      if (v === undefined || v === null) return undefined;
      if (typeof v !== 'string') throw new ConfigError(`${origin}: ${key} must be a string`, { file: origin });
      return v;
    };
    const conf = new ServerConf();
    conf.version = num('version', 1) ?? conf.version;
    conf.threads = num('threads', 1) ?? conf.threads;
    conf.pidFile = str('pid_file');
    conf.errorLog = str('error_log');
    conf.caFile = str('ca_file');
    conf.s2nConfigCacheSize = num('s2n_config_cache_size', 0) ?? conf.s2nConfigCacheSize;
    conf.upstreamKeepalivePoolSize = num('upstream_keepalive_pool_size', 0) ?? conf.upstreamKeepalivePoolSize;
    conf.gracePeriodSeconds = num('grace_period_seconds', 0) ?? conf.gracePeriodSeconds;
    conf.gracefulShutdownTimeoutSeconds = num('graceful_shutdown_timeout_seconds', 0) ?? conf.gracefulShutdownTimeoutSeconds;
    conf.maxRetries = num('max_retries', 0) ?? conf.maxRetries;
    for (const [key, [field, min]] of Object.entries(LIMIT_KEYS)) {
      const v = num(key, min);
      if (v !== undefined) (conf as unknown as Record<string, number>)[field] = v;
    }
    const cidrs = (key: string): string[] | undefined => {
      const v = y[key];
      if (v === undefined || v === null) return undefined;
      if (!Array.isArray(v) || v.some((c) => typeof c !== 'string')) {
        throw new ConfigError(`${origin}: ${key} must be a list of CIDR strings`, { file: origin });
      }
      return v as string[];
    };
    conf.allowCidrs = cidrs('allow_cidrs') ?? conf.allowCidrs;
    conf.denyCidrs = cidrs('deny_cidrs') ?? conf.denyCidrs;
    conf.metrics = str('metrics');
    const logFormat = str('log_format');
    if (logFormat !== undefined && logFormat !== 'text' && logFormat !== 'json') {
      throw new ConfigError(`${origin}: log_format must be text or json, got ${JSON.stringify(logFormat)}`, { file: origin });
    }
    conf.logFormat = logFormat ?? conf.logFormat;
    if ((y['access_log'] as unknown) === false) y = { ...y, access_log: 'off' };
    conf.accessLog = str('access_log') ?? conf.accessLog;
    conf.sessionTicketRotationSeconds = num('session_ticket_rotation_seconds', 0) ?? conf.sessionTicketRotationSeconds;
    for (const [k, v] of Object.entries(y)) if (!KNOWN_KEYS.has(k)) conf.extensions[k] = v;
    conf.validate();
    return conf;
  }

  private validate(): void {
    for (const c of [...this.allowCidrs, ...this.denyCidrs]) {
      if (!isCidr(c)) throw new ConfigError(`not a CIDR (address/prefix): ${JSON.stringify(c)}`);
    }
    if (!Number.isInteger(this.threads) || this.threads < 1) throw new ConfigError(`threads must be a whole number >= 1, got ${this.threads}`);
    if (!Number.isInteger(this.s2nConfigCacheSize) || this.s2nConfigCacheSize < 0) {
      throw new ConfigError(`s2n_config_cache_size must be a whole number >= 0, got ${this.s2nConfigCacheSize}`);
    }
  }
}
