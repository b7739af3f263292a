import { isIP } from 'node:net';
import type { X509Certificate } from 'node:crypto';

/**
 * RFC 6125 section 6.4: does `cert` name `host`? DNS SANs only (the CN is consulted only when
 * there are no SANs of any kind, for old certificates); a wildcard is allowed only as the whole
 * leftmost label, matches exactly one label, and never matches an IP address. IP addresses
 * match IP SANs only (RFC 6125 6.2.1 / RFC 5280 4.2.1.6).
 */
export function certificateMatchesHost(cert: X509Certificate, host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  const sans = (cert.subjectAltName ?? '').split(/,\s*/).filter(Boolean);
  if (isIP(name.replace(/^\[|\]$/g, ''))) {
    const ip = normalizeIp(name.replace(/^\[|\]$/g, ''));
    return sans.some((s) => s.startsWith('IP Address:') && normalizeIp(s.slice('IP Address:'.length)) === ip);
  }
  const dns = sans.filter((s) => s.startsWith('DNS:')).map((s) => s.slice(4).toLowerCase().replace(/\.$/, ''));
  if (sans.length === 0) {
    const cn = /^CN=(.*)$/m.exec(cert.subject)?.[1];
    if (cn) dns.push(cn.toLowerCase());
  }
  return dns.some((pattern) => dnsMatches(pattern, name));
}

export function dnsMatches(pattern: string, name: string): boolean {
  if (!pattern.includes('*')) return pattern === name;
  const pLabels = pattern.split('.');
  const nLabels = name.split('.');
  // Wildcard only as the entire leftmost label, with at least two labels after it.
  if (pLabels[0] !== '*' || pLabels.slice(1).some((l) => l.includes('*')) || pLabels.length < 3) return false;
  if (pLabels.length !== nLabels.length || nLabels[0]!.length === 0) return false;
  return pLabels.slice(1).join('.') === nLabels.slice(1).join('.');
}

function normalizeIp(ip: string): string {
  if (isIP(ip) === 6) {
    // Expand :: so textual variants of the same address compare equal.
    const [head, tail] = ip.split('::') as [string, string | undefined];
    const h = head ? head.split(':') : [];
    const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
    const fill: string[] = tail === undefined ? [] : new Array<string>(8 - h.length - t.length).fill('0');
    return [...h, ...fill, ...t].map((p) => parseInt(p, 16).toString(16)).join(':');
  }
  return ip;
}
