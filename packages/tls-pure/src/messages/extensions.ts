import { PeerMisbehaved, fatal } from '../alerts.js';
import { Reader, Writer } from '../bytes.js';

/** RFC 8446 4.2 ExtensionType, plus the TLS 1.2 ones we use. */
export const Ext = {
  server_name: 0,
  max_fragment_length: 1,
  status_request: 5,
  supported_groups: 10,
  ec_point_formats: 11,
  signature_algorithms: 13,
  alpn: 16,
  padding: 21,
  encrypt_then_mac: 22,
  extended_master_secret: 23,
  record_size_limit: 28,
  session_ticket: 35,
  pre_shared_key: 41,
  early_data: 42,
  supported_versions: 43,
  cookie: 44,
  psk_key_exchange_modes: 45,
  certificate_authorities: 47,
  signature_algorithms_cert: 50,
  key_share: 51,
  renegotiation_info: 0xff01,
} as const;

export type Extensions = Map<number, Uint8Array>;

/**
 * Parses an extensions block. RFC 8446 4.2: no type may appear twice (illegal_parameter), and
 * pre_shared_key must be the last one in a ClientHello.
 */
export function parseExtensions(r: Reader, where: string): { map: Extensions; order: number[] } {
  const map: Extensions = new Map();
  const order: number[] = [];
  if (r.remaining === 0) return { map, order };
  const er = r.sub16(`${where} extensions`);
  while (er.remaining > 0) {
    const type = er.u16();
    const data = er.vec16();
    if (map.has(type)) throw fatal(PeerMisbehaved.DuplicateExtension, `${type} in ${where}`);
    map.set(type, data);
    order.push(type);
  }
  return { map, order };
}

export function writeExtensions(w: Writer, exts: Array<[number, Uint8Array]>): void {
  w.nested16((x) => {
    for (const [t, d] of exts) x.u16(t).vec16(d);
  });
}

/** The body of a vector of u16 values (cipher suites, groups, schemes, versions); an odd length is a decode_error. */
export function u16s(list: Uint8Array, what: string): number[] {
  if (list.length % 2) throw fatal(PeerMisbehaved.OddLengthList, what);
  const out: number[] = [];
  for (let i = 0; i < list.length; i += 2) out.push((list[i]! << 8) | list[i + 1]!);
  return out;
}

/** An extension that is exactly one u16 vector with a 2-byte length. */
export function u16List(data: Uint8Array, what: string, min = 2): number[] {
  const r = new Reader(data, what);
  const list = r.vec16(min);
  r.end();
  return u16s(list, what);
}

export function encodeU16List(values: readonly number[]): Uint8Array {
  return new Writer().nested16((w) => values.forEach((v) => w.u16(v))).finish();
}

/** RFC 6066 section 3: server_name; returns the host_name, or undefined when absent. */
export function parseServerName(data: Uint8Array): string | undefined {
  const r = new Reader(data, 'server_name');
  const list = r.sub16('server_name list', 1);
  r.end();
  let host: string | undefined;
  while (list.remaining > 0) {
    const type = list.u8();
    const name = list.vec16(1);
    if (type === 0) {
      if (host !== undefined) throw fatal(PeerMisbehaved.InvalidServerName, 'two host names');
      // RFC 6066 3: ASCII, no trailing dot, no NUL.
      for (const c of name) if (c < 0x21 || c > 0x7e) throw fatal(PeerMisbehaved.InvalidServerName, 'a byte outside printable ASCII');
      host = Buffer.from(name).toString('ascii').toLowerCase();
      if (host.endsWith('.')) throw fatal(PeerMisbehaved.InvalidServerName, 'a trailing dot');
    }
  }
  return host;
}

export function encodeServerName(host: string): Uint8Array {
  return new Writer().nested16((w) => w.u8(0).vec16(new Uint8Array(Buffer.from(host, 'ascii')))).finish();
}

/** RFC 7301 ALPN protocol_name_list. */
export function parseAlpn(data: Uint8Array): string[] {
  const r = new Reader(data, 'alpn');
  const list = r.sub16('alpn list', 2);
  r.end();
  const out: string[] = [];
  while (list.remaining > 0) out.push(Buffer.from(list.vec8(1)).toString('latin1'));
  return out;
}

export function encodeAlpn(protocols: readonly string[]): Uint8Array {
  return new Writer().nested16((w) => protocols.forEach((p) => w.vec8(new Uint8Array(Buffer.from(p, 'latin1'))))).finish();
}

/** RFC 8446 4.2.8 KeyShareClientHello. Duplicated groups are illegal_parameter. */
export function parseClientKeyShares(data: Uint8Array): Array<{ group: number; key: Uint8Array }> {
  const r = new Reader(data, 'key_share');
  const list = r.sub16('client_shares');
  r.end();
  const out: Array<{ group: number; key: Uint8Array }> = [];
  while (list.remaining > 0) {
    const group = list.u16();
    const key = list.vec16(1);
    if (out.some((s) => s.group === group)) throw fatal(PeerMisbehaved.DuplicateKeyShareGroup);
    out.push({ group, key });
  }
  return out;
}

export function encodeClientKeyShares(shares: Array<{ group: number; key: Uint8Array }>): Uint8Array {
  return new Writer().nested16((w) => shares.forEach((s) => w.u16(s.group).vec16(s.key))).finish();
}

/** RFC 8446 4.2.1 supported_versions in a ClientHello. */
export function parseClientVersions(data: Uint8Array): number[] {
  const r = new Reader(data, 'supported_versions');
  const list = r.vec8(2, 254);
  r.end();
  return u16s(list, 'supported_versions');
}

/** RFC 8449 record_size_limit: a u16 of at least 64. */
export function parseRecordSizeLimit(data: Uint8Array): number {
  const r = new Reader(data, 'record_size_limit');
  const v = r.u16();
  r.end();
  if (v < 64) throw fatal(PeerMisbehaved.RecordSizeLimitTooSmall);
  return v;
}

export const u16 = (v: number): Uint8Array => Uint8Array.of(v >> 8, v & 0xff);
