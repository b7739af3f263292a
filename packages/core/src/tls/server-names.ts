import type { X509Certificate } from 'node:crypto';

/**
 * The host names a listener answers for under strict SNI: exact names and `*.suffix` wildcards,
 * which cover exactly one more leftmost label (RFC 6125 §6.4.3), compared case-insensitively
 * and without a trailing dot.
 */
export class ServerNameSet {
  private readonly exact = new Set<string>();
  private readonly suffixes = new Set<string>();
  readonly names: readonly string[];

  constructor(names: readonly string[]) {
    this.names = names.map(normalize);
    for (const n of this.names) {
      if (n.startsWith('*.')) this.suffixes.add(n.slice(1));
      else this.exact.add(n);
    }
  }

  has(serverName: string): boolean {
    const n = normalize(serverName);
    if (this.exact.has(n)) return true;
    const dot = n.indexOf('.');
    return dot > 0 && this.suffixes.has(n.slice(dot));
  }
}

function normalize(name: string): string {
  const n = name.toLowerCase();
  return n.endsWith('.') ? n.slice(0, -1) : n;
}

/** The DNS names a certificate covers: its dNSName SANs, else its subject CN. */
export function certificateDnsNames(cert: X509Certificate): string[] {
  const san = cert.subjectAltName;
  const names = san ? san.split(/,\s*/).filter((e) => e.startsWith('DNS:')).map((e) => e.slice(4)) : [];
  if (names.length > 0) return names;
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(cert.subject)?.[1];
  return cn ? [cn] : [];
}
