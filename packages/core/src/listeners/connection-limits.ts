import { readFileSync } from 'node:fs';
import { ConnectionLimitError, FingerprintRateLimitError, type LimitError } from '../errors/index.js';
import type { ClientHello } from '../tls/client-hello.js';
import { limitCounters } from '../http/limit-counters.js';
import { log } from '../log.js';
import { CidrSet } from './cidr.js';
import type { ConnectionFilter, FilterCtx, SocketAddress } from './connection-filter.js';

export interface ConnectionLimitsOptions {
  /** Open connections in this process; 0 or undefined: no cap (the file-descriptor guard, fd-guard.ts, pauses accepts near the limit). */
  maxConnections?: number;
  /** Open connections per client IP; 0: no limit. */
  maxConnectionsPerIp?: number;
  /** New connections per second per client IP; 0: no limit. */
  maxNewConnectionsPerSecondPerIp?: number;
  /**
   * New connections per second with one JA4 fingerprint (the ClientHello's, read before the
   * handshake); 0: no limit. Refused connections are closed at once (LIMIT_FINGERPRINT_RATE).
   */
  maxNewConnectionsPerSecondPerJa4?: number;
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
 * A conservative max_connections for a process with `fdLimit` descriptors: each proxied
 * downstream connection may hold an upstream one too, so half of what the limit leaves after a
 * reserve; unlimited when the limit is unknown. No longer the default (the file-descriptor guard
 * pauses accepts near the limit instead), kept for who wants a fixed cap.
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
 * The descriptor limit itself is guarded by FdGuard, which pauses accepts near it.
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
  private readonly maxRatePerJa4: number;
  private readonly ja4Rate = new Map<string, RateEntry>();

  constructor(options: ConnectionLimitsOptions = {}) {
    this.maxConnections = options.maxConnections ? options.maxConnections : Infinity;
    this.maxPerIp = options.maxConnectionsPerIp || Infinity;
    this.maxRatePerIp = options.maxNewConnectionsPerSecondPerIp || Infinity;
    this.maxRatePerJa4 = options.maxNewConnectionsPerSecondPerJa4 || Infinity;
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

  /** True when a ClientHello limit is set (the listener then runs checkClientHello). */
  get checksClientHello(): boolean {
    return this.maxRatePerJa4 !== Infinity;
  }

  /**
   * The ClientHello phase: the per-JA4 new-connection rate. Returns the error when the
   * connection is refused (counted and logged here), undefined when it may go on.
   */
  checkClientHello(hello: ClientHello, peer: SocketAddress): LimitError | undefined {
    if (this.maxRatePerJa4 === Infinity) return undefined;
    const ja4 = hello.ja4;
    if (!countInWindow(this.ja4Rate, ja4, this.maxRatePerJa4)) return undefined;
    const err = new FingerprintRateLimitError(ja4, this.maxRatePerJa4);
    limitCounters.add(err.code);
    if (log.enabled('debug')) log.debug(`connection from ${peer.toString()} refused`, err, { ja4 });
    return err;
  }

  /** ConnectionFilter's ClientHello phase, for a ConnectionLimits used as a service's own filter. */
  clientHello(hello: ClientHello, peer: SocketAddress): boolean {
    return this.checkClientHello(hello, peer) === undefined;
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
    if (this.maxRatePerIp !== Infinity && countInWindow(this.rate, ip, this.maxRatePerIp)) {
      return new ConnectionLimitError(`${ip} opened more than ${this.maxRatePerIp} connections in a second`, 'max_new_connections_per_second_per_ip', ip);
    }
    return undefined;
  }
}

/**
 * Counts one event for `key` in its current one-second window; true when that makes more than
 * `max`. The map is pruned of stale windows when it reaches 100,000 keys, so a flood of
 * distinct keys (addresses, fingerprints) cannot grow it without bound.
 */
function countInWindow(windows: Map<string, RateEntry>, key: string, max: number): boolean {
  const now = Date.now();
  let e = windows.get(key);
  if (e === undefined || now - e.windowStart >= 1000) {
    if (e === undefined && windows.size >= 100_000) {
      for (const [k, old] of windows) if (now - old.windowStart >= 1000) windows.delete(k);
    }
    e = { windowStart: now, count: 0 };
    windows.set(key, e);
  }
  return ++e.count > max;
}
