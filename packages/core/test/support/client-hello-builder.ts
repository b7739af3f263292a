// Builds ClientHello messages byte by byte for the parser tests (RFC 8446 §4.1.2 layout).

export interface HelloSpec {
  legacyVersion?: number;
  sessionIdLength?: number;
  ciphers: readonly number[];
  compression?: readonly number[];
  /** [type, extension_data] in order; undefined: no extensions block at all. */
  extensions?: ReadonlyArray<readonly [number, Buffer]>;
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

export function vec16(...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  return Buffer.concat([u16(body.length), body]);
}

export function vec8(...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([body.length]), body]);
}

export function u16s(xs: readonly number[]): Buffer {
  return Buffer.concat(xs.map(u16));
}

export const ext = {
  sni: (name: string): Buffer => vec16(Buffer.from([0]), vec16(Buffer.from(name, 'latin1'))),
  alpn: (...protos: string[]): Buffer => vec16(...protos.map((p) => vec8(Buffer.from(p, 'latin1')))),
  groups: (...g: number[]): Buffer => vec16(u16s(g)),
  sigalgs: (...s: number[]): Buffer => vec16(u16s(s)),
  versions: (...v: number[]): Buffer => vec8(u16s(v)),
  keyShare: (...groups: number[]): Buffer => vec16(...groups.map((g) => Buffer.concat([u16(g), vec16(Buffer.alloc(32, 7))]))),
  pointFormats: (...f: number[]): Buffer => vec8(Buffer.from(f)),
};

/** The ClientHello body (no handshake header). */
export function helloBody(spec: HelloSpec): Buffer {
  const parts = [
    u16(spec.legacyVersion ?? 0x0303),
    Buffer.alloc(32, 1),
    vec8(Buffer.alloc(spec.sessionIdLength ?? 32, 2)),
    vec16(u16s(spec.ciphers)),
    vec8(Buffer.from(spec.compression ?? [0])),
  ];
  if (spec.extensions) parts.push(vec16(...spec.extensions.map(([t, d]) => Buffer.concat([u16(t), vec16(d)]))));
  return Buffer.concat(parts);
}

/** A handshake message: type 1, a 24-bit length, the body. */
export function handshakeMessage(body: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h[0] = 1;
  h.writeUIntBE(body.length, 1, 3);
  return Buffer.concat([h, body]);
}

/** The message in handshake records of at most `fragment` bytes each. */
export function records(message: Buffer, fragment = 16384): Buffer {
  const out: Buffer[] = [];
  for (let p = 0; p < message.length; p += fragment) {
    const piece = message.subarray(p, p + fragment);
    out.push(Buffer.from([22, 3, 1, piece.length >> 8, piece.length & 0xff]), piece);
  }
  return Buffer.concat(out);
}
