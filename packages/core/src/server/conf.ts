import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { ConfigError } from '../errors/index.js';

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

const KNOWN_KEYS = new Set([
  'version', 'threads', 'pid_file', 'error_log', 'ca_file', 's2n_config_cache_size',
  'upstream_keepalive_pool_size', 'grace_period_seconds', 'graceful_shutdown_timeout_seconds', 'max_retries',
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
  /** How many times failToConnect may mark an error retryable before the request fails. */
  maxRetries = 16;
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
    if (!Number.isInteger(this.threads) || this.threads < 1) throw new ConfigError(`threads must be a whole number >= 1, got ${this.threads}`);
    if (!Number.isInteger(this.s2nConfigCacheSize) || this.s2nConfigCacheSize < 0) {
      throw new ConfigError(`s2n_config_cache_size must be a whole number >= 0, got ${this.s2nConfigCacheSize}`);
    }
  }
}
