import { ConfigError } from '../errors/index.js';

/** Parses "host:port", "[v6]:port" or ":port" (all interfaces) into what net.Server.listen takes. */
export function parseListenAddress(addr: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(addr) ?? /^([^:]*):(\d+)$/.exec(addr);
  if (!m) throw new ConfigError(`listen address must be host:port, got ${JSON.stringify(addr)}`);
  const port = Number(m[2]);
  if (port > 65535) throw new ConfigError(`port out of range in ${addr}`);
  return { host: m[1] || '0.0.0.0', port };
}
