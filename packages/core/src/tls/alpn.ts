/**
 * Application protocols offered or accepted in ALPN (RFC 7301), in preference order.
 * Mirrors Pingora's `ALPN` enum, plus custom protocol lists.
 */
export class Alpn {
  /** HTTP/1.1 only. */
  static readonly H1 = new Alpn(['http/1.1'], 'H1');
  /** HTTP/2 only. */
  static readonly H2 = new Alpn(['h2'], 'H2');
  /** HTTP/2 preferred, then HTTP/1.1. */
  static readonly H2H1 = new Alpn(['h2', 'http/1.1'], 'H2H1');

  /** Any protocol names, most preferred first (e.g. `Alpn.custom('my-proto')`). */
  static custom(...protocols: string[]): Alpn {
    if (protocols.length === 0) throw new TypeError('Alpn.custom needs at least one protocol name');
    for (const p of protocols) {
      const len = Buffer.byteLength(p);
      if (len === 0 || len > 255) throw new TypeError(`ALPN protocol name must be 1..255 bytes: ${JSON.stringify(p)}`);
    }
    return new Alpn(protocols, 'custom');
  }

  private constructor(
    readonly protocols: readonly string[],
    readonly kind: 'H1' | 'H2' | 'H2H1' | 'custom',
  ) {}

  /** The ALPN extension's protocol_name_list wire encoding (without the outer length). */
  wire(): Buffer {
    return Buffer.concat(this.protocols.map((p) => {
      const b = Buffer.from(p);
      return Buffer.concat([Buffer.from([b.length]), b]);
    }));
  }

  /** Server-side choice: the first of our protocols (server preference) that the client offered. */
  select(offered: readonly string[]): string | undefined {
    return this.protocols.find((p) => offered.includes(p));
  }

  toString(): string {
    return this.protocols.join(',');
  }
}
