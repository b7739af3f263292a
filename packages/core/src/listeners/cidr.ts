import { BlockList, isIP } from 'node:net';

/** "10.0.0.0/8", "::1/128", or a bare address (a /32 or /128). */
export function parseCidr(text: string): { addr: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const v = isIP(addr);
  if (v === 0) return undefined;
  const max = v === 4 ? 32 : 128;
  const prefix = slash < 0 ? max : Number(text.slice(slash + 1));
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) return undefined;
  return { addr, prefix, family: v === 4 ? 'ipv4' : 'ipv6' };
}

export function isCidr(text: string): boolean {
  return parseCidr(text) !== undefined;
}

/** A set of CIDRs (node:net BlockList); IPv4-mapped IPv6 client addresses match IPv4 entries. */
export class CidrSet {
  private readonly list = new BlockList();
  readonly size: number;

  constructor(cidrs: readonly string[]) {
    for (const c of cidrs) {
      const p = parseCidr(c);
      if (!p) throw new TypeError(`not a CIDR: ${JSON.stringify(c)}`);
      this.list.addSubnet(p.addr, p.prefix, p.family);
    }
    this.size = cidrs.length;
  }

  has(ip: string): boolean {
    if (ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4) ip = ip.slice(7);
    const v = isIP(ip);
    if (v === 0) return false;
    return this.list.check(ip, v === 4 ? 'ipv4' : 'ipv6');
  }
}
