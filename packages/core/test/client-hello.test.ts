// Core's ClientHello parser and record reassembly: published JA4 (FoxIO) and JA3 vectors from
// real captures, GREASE, fragmentation over records and reads, the 131,396-byte maximum, and
// what garbage gets.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AlertDescription, ClientHelloReader, MAX_CLIENT_HELLO_BYTES, isGrease, readClientHello, type ClientHello } from '../src/index.js';
import { ext, handshakeMessage, helloBody, records, type HelloSpec } from './support/client-hello-builder.js';

interface Ja4Vector { capture: string; clientPort: number; domain: string; ja4: string; ja4_r: string; record: string }
interface Ja3Vector { record: string; ja3: string; ja3_string: string; sni: string }
const vectors = JSON.parse(readFileSync(new URL('./fixtures/client-hellos.json', import.meta.url), 'utf8')) as { ja4: Ja4Vector[]; ja3: Ja3Vector[] };

function parse(bytes: Buffer): ClientHello {
  const r = readClientHello(bytes);
  if (r.status !== 'done') throw new Error(`not parsed: ${JSON.stringify(r)}`);
  return r.hello;
}

/** The ClientHello handshake message inside a record stream. */
function messageOf(recordsHex: string): Buffer {
  const buf = Buffer.from(recordsHex, 'hex');
  const parts: Buffer[] = [];
  for (let p = 0; p + 5 <= buf.length; p += 5 + buf.readUInt16BE(p + 3)) parts.push(buf.subarray(p + 5, p + 5 + buf.readUInt16BE(p + 3)));
  return Buffer.concat(parts);
}

describe('JA4 against FoxIO\'s published outputs (ClientHellos from the ja4 repository\'s captures)', () => {
  for (const v of vectors.ja4) {
    it(`${v.capture} (client port ${v.clientPort}, ${v.domain})`, () => {
      const hello = parse(Buffer.from(v.record, 'hex'));
      expect(hello.serverName).toBe(v.domain);
      if (v.capture === 'tls-non-ascii-alpn.pcapng') {
        // The first ALPN value is 0xBA 0xAD. The spec (technical_details/JA4.md, since 2024-08,
        // as Wireshark does it) prints the first and last hex digits, "bd"; the reference
        // outputs in the repository still carry the older rule's "99". Everything else matches.
        expect(v.ja4.startsWith('t13d151699_')).toBe(true);
        expect(hello.ja4).toBe(v.ja4.replace('t13d151699', 't13d1516bd'));
        expect(hello.ja4Raw).toBe(v.ja4_r.replace('t13d151699', 't13d1516bd'));
      } else {
        expect(hello.ja4).toBe(v.ja4);
        expect(hello.ja4Raw).toBe(v.ja4_r);
      }
    });
  }

  it('the same ClientHello split into 100-byte records and fed one byte at a time gives the same result', () => {
    const v = vectors.ja4[0]!;
    const split = records(messageOf(v.record), 100);
    const reader = new ClientHelloReader();
    let last;
    for (let i = 0; i < split.length; i++) {
      last = reader.push(split.subarray(i, i + 1));
      if (i < split.length - 1) expect(last.status).toBe('more');
    }
    expect(last?.status).toBe('done');
    if (last?.status === 'done') expect(last.hello.ja4).toBe(v.ja4);
    expect(reader.bytes.equals(split)).toBe(true);
  });
});

describe('JA3', () => {
  for (const v of vectors.ja3) {
    it(`matches open-ch/ja3's vector (${v.sni})`, () => {
      const hello = parse(Buffer.from(v.record, 'hex'));
      expect(hello.serverName).toBe(v.sni);
      expect(hello.ja3String).toBe(v.ja3_string);
      expect(hello.ja3).toBe(v.ja3);
    });
  }
});

const GREASE_SPEC: HelloSpec = {
  ciphers: [0x1a1a, 0x1301, 0x1302, 0xc02b],
  extensions: [
    [0x2a2a, Buffer.alloc(0)],
    [0x0000, ext.sni('Grease.Example')],
    [0x0010, ext.alpn('h2', 'http/1.1')],
    [0x000a, ext.groups(0x3a3a, 0x001d, 0x0017)],
    [0x000b, ext.pointFormats(0)],
    [0x000d, ext.sigalgs(0x0403, 0x0804)],
    [0x002b, ext.versions(0x4a4a, 0x0304, 0x0303)],
    [0x0033, ext.keyShare(0x3a3a, 0x001d)],
    [0x5a5a, Buffer.from([0])],
  ],
};

describe('fields and GREASE (RFC 8701)', () => {
  const hello = parse(records(handshakeMessage(helloBody(GREASE_SPEC))));

  it('keeps what the client sent, in order, GREASE included', () => {
    expect(hello.serverName).toBe('grease.example');
    expect(hello.alpn).toEqual(['h2', 'http/1.1']);
    expect(hello.legacyVersion).toBe(0x0303);
    expect(hello.supportedVersions).toEqual([0x4a4a, 0x0304, 0x0303]);
    expect(hello.maxVersion).toBe(0x0304);
    expect(hello.cipherSuites).toEqual([0x1a1a, 0x1301, 0x1302, 0xc02b]);
    expect(hello.groups).toEqual([0x3a3a, 0x001d, 0x0017]);
    expect(hello.keyShareGroups).toEqual([0x3a3a, 0x001d]);
    expect(hello.signatureAlgorithms).toEqual([0x0403, 0x0804]);
    expect(hello.extensions).toEqual([0x2a2a, 0x0000, 0x0010, 0x000a, 0x000b, 0x000d, 0x002b, 0x0033, 0x5a5a]);
    expect(hello.ecPointFormats).toEqual([0]);
    expect([0x0a0a, 0xfafa, 0x5a5a].every(isGrease)).toBe(true);
    expect([0x0a1a, 0x1301, 0x0000].some(isGrease)).toBe(false);
  });

  it('JA4 ignores GREASE in the counts and the lists', () => {
    // 3 ciphers, 7 extensions; sorted lists without GREASE, SNI and ALPN.
    expect(hello.ja4Raw).toBe('t13d0307h2_1301,1302,c02b_000a,000b,000d,002b,0033_0403,0804');
    expect(hello.ja4).toMatch(/^t13d0307h2_[0-9a-f]{12}_[0-9a-f]{12}$/);
  });

  it('JA3 drops GREASE from ciphers, extensions and groups', () => {
    expect(hello.ja3String).toBe('771,4865-4866-49195,0-16-10-11-13-43-51,29-23,0');
    expect(hello.ja3).toMatch(/^[0-9a-f]{32}$/);
  });

  it('computes the fingerprints once (cached getters)', () => {
    expect(hello.ja4).toBe(hello.ja4);
    expect(hello.toJSON()).toMatchObject({ serverName: 'grease.example', ja4: hello.ja4, ja3: hello.ja3 });
  });

  it('JA4 edge cases: no SNI, no ALPN, no signature algorithms, a one-letter or non-alphanumeric ALPN', () => {
    const bare = parse(records(handshakeMessage(helloBody({ ciphers: [0x002f], extensions: [[0x000a, ext.groups(0x0017)]] }))));
    expect(bare.ja4Raw).toBe('t12i010100_002f_000a');
    const noExt = parse(records(handshakeMessage(helloBody({ legacyVersion: 0x0301, ciphers: [0x002f] }))));
    expect(noExt.ja4).toBe(`t10i010000_${noExt.ja4.split('_')[1]}_000000000000`);
    const one = parse(records(handshakeMessage(helloBody({ ciphers: [0x002f], extensions: [[0x0010, ext.alpn('x')]] }))));
    expect(one.ja4.slice(0, 10)).toBe('t12i0101xx');
    const odd = parse(records(handshakeMessage(helloBody({ ciphers: [0x002f], extensions: [[0x0010, ext.alpn('\x30\xab')]] }))));
    expect(odd.ja4.slice(0, 10)).toBe('t12i01013b');
  });
});

describe('record reassembly and limits', () => {
  it('accepts the largest legal ClientHello, 131,396 bytes, spread over nine records', () => {
    const ciphers = Array.from({ length: 32767 }, (_, i) => 0x0100 + i);
    // One padding extension (21) filling the 65,535-byte extensions block.
    const body = helloBody({ ciphers, compression: Array.from({ length: 255 }, (_, i) => i), extensions: [[21, Buffer.alloc(65531)]] });
    expect(body.length).toBe(MAX_CLIENT_HELLO_BYTES);
    const hello = parse(records(handshakeMessage(body)));
    expect(hello.length).toBe(MAX_CLIENT_HELLO_BYTES);
    expect(hello.cipherSuites.length).toBe(32767);
  });

  it('refuses one byte more with decode_error, from the handshake header alone', () => {
    const header = Buffer.from([22, 3, 1, 0, 4, 1, 0x02, 0x01, 0x45]);
    expect(readClientHello(header)).toEqual({ status: 'failed', failure: expect.objectContaining({ reason: 'too-large', alert: AlertDescription.decode_error }) });
  });

  it('closes on bytes that are not TLS without an alert', () => {
    expect(readClientHello(Buffer.from('GET / HTTP/1.1\r\n'))).toEqual({ status: 'failed', failure: expect.objectContaining({ reason: 'not-tls', alert: undefined }) });
    expect(readClientHello(Buffer.from([0x80, 0x2e, 0x01, 0x00, 0x02]))).toMatchObject({ failure: { reason: 'not-tls' } }); // SSLv2 format
  });

  it('answers other framing faults with their alerts', () => {
    expect(readClientHello(Buffer.from([22, 3, 1, 0x40, 0x01]))).toMatchObject({ failure: { reason: 'record-overflow', alert: AlertDescription.record_overflow } });
    expect(readClientHello(Buffer.from([22, 3, 1, 0, 0]))).toMatchObject({ failure: { reason: 'malformed', alert: AlertDescription.unexpected_message } });
    expect(readClientHello(Buffer.from([22, 3, 3, 0, 4, 2, 0, 0, 0]))).toMatchObject({ failure: { reason: 'not-client-hello', alert: AlertDescription.unexpected_message } });
    // A ClientHello interrupted by an alert record.
    const msg = handshakeMessage(helloBody(GREASE_SPEC));
    const first = records(msg.subarray(0, 50));
    expect(readClientHello(Buffer.concat([first, Buffer.from([21, 3, 3, 0, 2, 1, 0])]))).toMatchObject({ failure: { reason: 'malformed' } });
  });

  it('answers a ClientHello that does not parse with decode_error', () => {
    const cases: Buffer[] = [
      helloBody({ ciphers: [0x1301], extensions: [[0x0000, ext.sni('a')], [0x0000, ext.sni('b')]] }), // duplicate extension
      helloBody({ ciphers: [0x1301], extensions: [[0x0010, ext.alpn('')]] }), // empty ALPN name
      helloBody({ ciphers: [], extensions: [] }), // no cipher suites
      helloBody({ ciphers: [0x1301], sessionIdLength: 33 }),
      helloBody({ ciphers: [0x1301], extensions: [[0x002b, Buffer.from([3, 3, 4, 3])]] }), // odd versions length
      helloBody({ ciphers: [0x1301], extensions: [[0x000a, ext.groups(0x1d)]] }).subarray(0, -1), // truncated
    ];
    for (const body of cases) {
      expect(readClientHello(records(handshakeMessage(body)))).toMatchObject({ failure: { reason: 'malformed', alert: AlertDescription.decode_error } });
    }
  });

  it('never throws on truncated or mutated input', () => {
    const whole = records(handshakeMessage(helloBody(GREASE_SPEC)));
    let seed = 7;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 8;
    for (let i = 0; i < 1000; i++) {
      const b = Buffer.from(whole.subarray(0, rnd() % (whole.length + 1)));
      if (b.length > 0) b[rnd() % b.length] = rnd() & 0xff;
      expect(() => readClientHello(b)).not.toThrow();
    }
  });
});
