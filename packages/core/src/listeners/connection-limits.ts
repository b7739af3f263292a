import { readFileSync } from 'node:fs';
import { ConnectionLimitError } from '../errors/index.js';
import { limitCounters } from '../http/limit-counters.js';
import { log } from '../log.js';
import { CidrSet } from './cidr.js';
import type { ConnectionFilter, FilterCtx, SocketAddress } from './connection-filter.js';

export interface ConnectionLimitsOptions {
  /** Open connections in this process; 0 or undefined: derived from the file-descriptor limit. */
  maxConnections?: number;
  /** Open connections per client IP; 0: no limit. */
  maxConnectionsPerIp?: number;
  /** New connections per second per client IP; 0: no limit. */
  maxNewConnectionsPerSecondPerIp?: number;
  /** Only these CIDRs are accepted; empty: every address. */
  allowCidrs?: readonly string[];
  /** These CIDRs are refused (checked after allowCidrs). */
  denyCidrs?: readonly string[];
}

/** Descriptors kept free for upstream connections, files and the listeners themselves. */
const FD_RESERVE = 64;

/**
 * The soft RLIMIT_NOFILE of this process (Linux /proc/self/limits), or undefined when it cannot
 * be read or is unlimited.
 */
export function fileDescriptorLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'latin1').split('\n').find((l) => l.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    const n = Number(soft);
    return Number.isFinite(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The default max_connections: each proxied downstream connection may hold an upstream one too,
 * so half of what the descriptor limit leaves after a reserve; unlimited when the limit is unknown.
 */
export function defaultMaxConnections(fdLimit = fileDescriptorLimit()): number {
  if (fdLimit === undefined) return Infinity;
  return Math.max(16, Math.floor((fdLimit - FD_RESERVE) / 2));
}

interface RateEntry {
  windowStart: number;
  count: number;
}

/**
 * The built-in connection limits, a ConnectionFilter that runs before any TLS byte: CIDR allow
 * and deny lists, a global and a per-IP cap on open connections, and a per-IP cap on new
 * connections per second. A refused connection is closed at once (the client sees a reset or
 * EOF before the handshake), counted under its error code, and logged at debug level.
 * The global cap keeps the process clear of its file-descriptor limit: near it, new connections
 * are shed instead of accept() failing with EMFILE for everyone.
 */
export class ConnectionLimits implements ConnectionFilter {
  readonly maxConnections: number;
  private readonly maxPerIp: number;
  private readonly maxRatePerIp: number;
  private readonly allow: CidrSet | undefined;
  private readonly deny: CidrSet | undefined;
  private open = 0;
  private readonly openPerIp = new Map<string, number>();
  private readonly rate = new Map<string, RateEntry>();

  constructor(options: ConnectionLimitsOptions = {}) {
    this.maxConnections = options.maxConnections ? options.maxConnections : defaultMaxConnections();
    this.maxPerIp = options.maxConnectionsPerIp || Infinity;
    this.maxRatePerIp = options.maxNewConnectionsPerSecondPerIp || Infinity;
    this.allow = options.allowCidrs?.length ? new CidrSet(options.allowCidrs) : undefined;
    this.deny = options.denyCidrs?.length ? new CidrSet(options.denyCidrs) : undefined;
  }

  /** Open connections this filter accepted and that have not closed yet. */
  get openConnections(): number {
    return this.open;
  }

  filter(peer: SocketAddress, _ctx: FilterCtx): boolean {
    const err = this.check(peer.ip);
    if (err) {
      limitCounters.add(err.code);
      if (log.enabled('debug')) log.debug(`connection from ${peer.toString()} refused`, err);
      return false;
    }
    this.open++;
    this.openPerIp.set(peer.ip, (this.openPerIp.get(peer.ip) ?? 0) + 1);
    return true;
  }

  connectionClosed(peer: SocketAddress): void {
    this.open--;
    const n = (this.openPerIp.get(peer.ip) ?? 1) - 1;
    if (n <= 0) this.openPerIp.delete(peer.ip);
    else this.openPerIp.set(peer.ip, n);
  }

  private check(ip: string): ConnectionLimitError | undefined {
    if (this.allow && !this.allow.has(ip)) return new ConnectionLimitError(`${ip} is not in allow_cidrs`, 'allow_cidrs', ip);
    if (this.deny?.has(ip)) return new ConnectionLimitError(`${ip} is in deny_cidrs`, 'deny_cidrs', ip);
    if (this.open >= this.maxConnections) {
      return new ConnectionLimitError(`${this.open} connections open (max_connections ${this.maxConnections})`, 'max_connections', ip);
    }
    if ((this.openPerIp.get(ip) ?? 0) >= this.maxPerIp) {
      return new ConnectionLimitError(`${ip} has ${this.maxPerIp} connections open`, 'max_connections_per_ip', ip);
    }
    if (this.maxRatePerIp !== Infinity) {
      const now = Date.now();
      let e = this.rate.get(ip);
      if (e === undefined || now - e.windowStart >= 1000) {
        if (e === undefined && this.rate.size >= 100_000) this.pruneRate(now);
        e = { windowStart: now, count: 0 };
        this.rate.set(ip, e);
      }
      if (++e.count > this.maxRatePerIp) {
        return new ConnectionLimitError(`${ip} opened more than ${this.maxRatePerIp} connections in a second`, 'max_new_connections_per_second_per_ip', ip);
      }
    }
    return undefined;
  }

  private pruneRate(now: number): void {
    for (const [ip, e] of this.rate) if (now - e.windowStart >= 1000) this.rate.delete(ip);
  }
}
