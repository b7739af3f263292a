import { createHash } from 'node:crypto';

/**
 * The largest legal ClientHello body (RFC 8446 §4.1.2, RFC 5246 §7.4.1.2): legacy_version (2)
 * + random (32) + legacy_session_id (1 + 32) + cipher_suites (2 + 65534)
 * + legacy_compression_methods (1 + 255) + extensions (2 + 65535) = 131,396 bytes.
 */
export const MAX_CLIENT_HELLO_BYTES = 131_396;

/** Extension code points this parser reads (IANA TLS ExtensionType Values). */
export const ExtensionType = {
  server_name: 0x0000,
  supported_groups: 0x000a,
  ec_point_formats: 0x000b,
  signature_algorithms: 0x000d,
  application_layer_protocol_negotiation: 0x0010,
  supported_versions: 0x002b,
  key_share: 0x0033,
} as const;

/** GREASE values (RFC 8701 §2): 0x0A0A, 0x1A1A, ... 0xFAFA, in every 16-bit code point space. */
export function isGrease(v: number): boolean {
  return (v & 0x0f0f) === 0x0a0a && (v >> 8) === (v & 0xff);
}

/** Why a ClientHello could not be parsed (a decode_error, RFC 8446 §6.2). */
export class ClientHelloParseError extends Error {}

/**
 * A parsed ClientHello (RFC 8446 §4.1.2; RFC 5246 §7.4.1.2 for TLS 1.2 clients), as core reads
 * it before any backend runs: what the client offered, in the client's order, GREASE values
 * included (they are what was sent; the fingerprints drop them as their specs say). Code points
 * are numbers; `toJSON()` gives a loggable summary. JA4 and JA3 are computed on first use and
 * cached, so a proxy that never looks at them never hashes.
 */
export class ClientHello {
  /** legacy_version: 0x0303 for TLS 1.2 and 1.3 clients (1.3 is in supported_versions). */
  legacyVersion = 0;
  /** supported_versions (RFC 8446 §4.2.1), empty when the extension is absent. */
  supportedVersions: number[] = [];
  cipherSuites: number[] = [];
  compressionMethods: number[] = [];
  /** Extension types in the order sent. */
  extensions: number[] = [];
  /** server_name host_name (RFC 6066 §3), lower-case; undefined when absent. */
  serverName: string | undefined;
  /** ALPN protocol names offered (RFC 7301 §3.1), in order; empty when the extension is absent. */
  alpn: string[] = [];
  /** The first ALPN name's bytes (JA4 needs its first and last byte even when they are not text). */
  firstAlpnBytes: Uint8Array | undefined;
  /** supported_groups (RFC 8446 §4.2.7; "elliptic_curves" in RFC 4492). */
  groups: number[] = [];
  /** Groups the client sent a key share for (RFC 8446 §4.2.8), in order. */
  keyShareGroups: number[] = [];
  /** signature_algorithms (RFC 8446 §4.2.3), in order. */
  signatureAlgorithms: number[] = [];
  /** ec_point_formats (RFC 8422 §5.1.2). */
  ecPointFormats: number[] = [];
  /** Length of legacy_session_id (32 from TLS 1.3 clients in compatibility mode, or a session to resume). */
  sessionIdLength = 0;
  /** Bytes of the handshake message body. */
  length = 0;

  private ja4Cache: string | undefined;
  private ja4rCache: string | undefined;
  private ja3Cache: string | undefined;

  /** The highest version offered: from supported_versions (GREASE ignored) when present, else legacy_version. */
  get maxVersion(): number {
    let v = 0;
    for (const x of this.supportedVersions) if (!isGrease(x) && x > v) v = x;
    return this.supportedVersions.length > 0 ? v : this.legacyVersion;
  }

  /**
   * JA4 (FoxIO, technical_details/JA4.md): `t13d1516h2_8daaf6152771_e5627efa2ab1`. GREASE is
   * ignored everywhere; ciphers sorted; extensions sorted without SNI and ALPN, then '_' and the
   * signature algorithms in their order; SHA-256 truncated to 12 hex digits.
   */
  get ja4(): string {
    if (this.ja4Cache === undefined) {
      const [a, b, c] = this.ja4Parts();
      this.ja4Cache = `${a}_${hash12(b)}_${hash12(c)}`;
    }
    return this.ja4Cache;
  }

  /** JA4_r: the same with the lists in clear instead of hashed. */
  get ja4Raw(): string {
    if (this.ja4rCache === undefined) this.ja4rCache = this.ja4Parts().join('_');
    return this.ja4rCache;
  }

  /**
   * JA3 (Salesforce): MD5 of `SSLVersion,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats`,
   * decimal values joined with '-', in the order sent, GREASE removed from the lists.
   */
  get ja3(): string {
    if (this.ja3Cache === undefined) this.ja3Cache = createHash('md5').update(this.ja3String).digest('hex');
    return this.ja3Cache;
  }

  get ja3String(): string {
    const list = (xs: readonly number[]): string => xs.filter((x) => !isGrease(x)).join('-');
    return `${this.legacyVersion},${list(this.cipherSuites)},${list(this.extensions)},${list(this.groups)},${this.ecPointFormats.join('-')}`;
  }

  private ja4Parts(): [string, string, string] {
    const ciphers = this.cipherSuites.filter((x) => !isGrease(x));
    const exts = this.extensions.filter((x) => !isGrease(x));
    const version = JA4_VERSION.get(this.maxVersion) ?? '00';
    const sni = exts.includes(ExtensionType.server_name) ? 'd' : 'i';
    const count = (n: number): string => String(Math.min(n, 99)).padStart(2, '0');
    const a = `t${version}${sni}${count(ciphers.length)}${count(exts.length)}${ja4Alpn(this.firstAlpnBytes)}`;
    const b = ciphers.map(hex4).sort().join(',');
    const sortedExts = exts
      .filter((x) => x !== ExtensionType.server_name && x !== ExtensionType.application_layer_protocol_negotiation)
      .map(hex4).sort().join(',');
    const sigs = this.signatureAlgorithms.filter((x) => !isGrease(x)).map(hex4).join(',');
    // "If there are no signature algorithms in the hello packet, then the string ends without an underscore."
    const c = sortedExts === '' ? '' : sigs === '' ? sortedExts : `${sortedExts}_${sigs}`;
    return [a, b, c];
  }

  /** What a log line or a JSON digest shows: names where short, code points as 4-digit hex. */
  toJSON(): Record<string, unknown> {
    return {
      serverName: this.serverName,
      alpn: this.alpn,
      legacyVersion: hex4(this.legacyVersion),
      supportedVersions: this.supportedVersions.map(hex4),
      cipherSuites: this.cipherSuites.map(hex4),
      extensions: this.extensions.map(hex4),
      groups: this.groups.map(hex4),
      keyShareGroups: this.keyShareGroups.map(hex4),
      signatureAlgorithms: this.signatureAlgorithms.map(hex4),
      ja4: this.ja4,
      ja3: this.ja3,
    };
  }
}

const JA4_VERSION = new Map<number, string>([
  [0x0304, '13'], [0x0303, '12'], [0x0302, '11'], [0x0301, '10'], [0x0300, 's3'], [0x0002, 's2'],
  [0xfeff, 'd1'], [0xfefd, 'd2'], [0xfefc, 'd3'],
]);

function hex4(v: number): string {
  return v.toString(16).padStart(4, '0');
}

function hash12(s: string): string {
  return s === '' ? '000000000000' : createHash('sha256').update(s).digest('hex').slice(0, 12);
}

function isAlnum(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
}

/**
 * JA4's ALPN part: the first and last characters of the first ALPN value; "00" when there is
 * none; when either byte is not ASCII alphanumeric, the first and last hex digits of the value.
 */
function ja4Alpn(first: Uint8Array | undefined): string {
  if (!first || first.length === 0) return '00';
  const f = first[0]!;
  const l = first[first.length - 1]!;
  if (isAlnum(f) && isAlnum(l)) return String.fromCharCode(f, l);
  const h = Buffer.from(first).toString('hex');
  return `${h[0]}${h[h.length - 1]}`;
}

/**
 * A cursor over one vector, after Go's cryptobyte.String: every read checks the bounds, and a
 * short read fails the whole parse (decode_error).
 */
class Reader {
  constructor(private readonly b: Uint8Array, private p: number, readonly end: number) {}

  get empty(): boolean {
    return this.p >= this.end;
  }

  u8(): number {
    if (this.p + 1 > this.end) throw new ClientHelloParseError('truncated');
    return this.b[this.p++]!;
  }

  u16(): number {
    if (this.p + 2 > this.end) throw new ClientHelloParseError('truncated');
    const v = (this.b[this.p]! << 8) | this.b[this.p + 1]!;
    this.p += 2;
    return v;
  }

  /** A sub-vector with an `lenBytes`-byte length prefix. */
  vec(lenBytes: 1 | 2): Reader {
    const n = lenBytes === 1 ? this.u8() : this.u16();
    if (this.p + n > this.end) throw new ClientHelloParseError('vector longer than its container');
    const r = new Reader(this.b, this.p, this.p + n);
    this.p += n;
    return r;
  }

  skip(n: number): void {
    if (this.p + n > this.end) throw new ClientHelloParseError('truncated');
    this.p += n;
  }

  bytes(): Uint8Array {
    return this.b.subarray(this.p, this.end);
  }

  u16List(): number[] {
    const out: number[] = [];
    while (!this.empty) out.push(this.u16());
    return out;
  }
}

/**
 * Parses a ClientHello handshake message body (after the 4-byte handshake header), modelled on
 * Go's crypto/tls clientHelloMsg.unmarshal: strict lengths, each extension at most once
 * (RFC 8446 §4.2), and the extensions read here checked for their own syntax. Throws
 * ClientHelloParseError. Extensions not listed in ExtensionType are kept as types only.
 */
export function parseClientHelloBody(body: Uint8Array): ClientHello {
  const h = new ClientHello();
  h.length = body.length;
  const r = new Reader(body, 0, body.length);
  h.legacyVersion = r.u16();
  r.skip(32); // random
  const sid = r.vec(1);
  h.sessionIdLength = sid.bytes().length;
  if (h.sessionIdLength > 32) throw new ClientHelloParseError('legacy_session_id longer than 32 bytes');
  const suites = r.vec(2);
  // cipher_suites<2..2^16-2>: an even, non-empty list.
  if (suites.bytes().length < 2 || suites.bytes().length % 2 !== 0) throw new ClientHelloParseError('bad cipher_suites length');
  h.cipherSuites = suites.u16List();
  const comp = r.vec(1);
  if (comp.empty) throw new ClientHelloParseError('empty legacy_compression_methods');
  while (!comp.empty) h.compressionMethods.push(comp.u8());
  // RFC 5246 §7.4.1.2: a ClientHello may end here, without an extensions block.
  if (r.empty) return h;
  const exts = r.vec(2);
  if (!r.empty) throw new ClientHelloParseError('bytes after the extensions');
  const seen = new Set<number>();
  while (!exts.empty) {
    const type = exts.u16();
    const data = exts.vec(2);
    if (seen.has(type)) throw new ClientHelloParseError(`extension ${type} sent twice`);
    seen.add(type);
    h.extensions.push(type);
    readExtension(h, type, data);
  }
  return h;
}

function readExtension(h: ClientHello, type: number, d: Reader): void {
  switch (type) {
    case ExtensionType.server_name: {
      // RFC 6066 §3: ServerNameList<1..2^16-1>; only host_name (0) is defined, one of each type.
      const list = d.vec(2);
      if (list.empty) throw new ClientHelloParseError('empty server_name list');
      while (!list.empty) {
        const nameType = list.u8();
        const name = list.vec(2);
        if (nameType !== 0) continue;
        if (h.serverName !== undefined) throw new ClientHelloParseError('two host names in server_name');
        const bytes = name.bytes();
        if (bytes.length === 0) throw new ClientHelloParseError('empty host_name');
        h.serverName = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1').toLowerCase();
      }
      break;
    }
    case ExtensionType.application_layer_protocol_negotiation: {
      // RFC 7301 §3.1: ProtocolNameList<2..2^16-1> of ProtocolName<1..2^8-1>; empty names are illegal.
      const list = d.vec(2);
      if (list.empty) throw new ClientHelloParseError('empty ALPN list');
      while (!list.empty) {
        const proto = list.vec(1).bytes();
        if (proto.length === 0) throw new ClientHelloParseError('empty ALPN protocol name');
        if (h.firstAlpnBytes === undefined) h.firstAlpnBytes = Uint8Array.from(proto);
        h.alpn.push(Buffer.from(proto.buffer, proto.byteOffset, proto.length).toString('latin1'));
      }
      break;
    }
    case ExtensionType.supported_groups:
      h.groups = evenList(d.vec(2), 'supported_groups');
      break;
    case ExtensionType.signature_algorithms:
      h.signatureAlgorithms = evenList(d.vec(2), 'signature_algorithms');
      break;
    case ExtensionType.supported_versions: {
      // RFC 8446 §4.2.1: ProtocolVersion versions<2..254>.
      const list = d.vec(1);
      if (list.empty || list.bytes().length % 2 !== 0) throw new ClientHelloParseError('bad supported_versions');
      h.supportedVersions = list.u16List();
      break;
    }
    case ExtensionType.key_share: {
      // RFC 8446 §4.2.8: KeyShareEntry client_shares<0..2^16-1>, each group + key_exchange<1..2^16-1>.
      const list = d.vec(2);
      while (!list.empty) {
        h.keyShareGroups.push(list.u16());
        if (list.vec(2).empty) throw new ClientHelloParseError('empty key_exchange');
      }
      break;
    }
    case ExtensionType.ec_point_formats: {
      const list = d.vec(1);
      if (list.empty) throw new ClientHelloParseError('empty ec_point_formats');
      while (!list.empty) h.ecPointFormats.push(list.u8());
      break;
    }
    default:
      return;
  }
  if (!d.empty) throw new ClientHelloParseError(`trailing bytes in extension ${type}`);
}

function evenList(list: Reader, what: string): number[] {
  const n = list.bytes().length;
  if (n === 0 || n % 2 !== 0) throw new ClientHelloParseError(`bad ${what} length`);
  return list.u16List();
}
