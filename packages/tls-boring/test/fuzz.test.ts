// Hostile input: thousands of malformed and truncated records (fixed seed, bounded) fed to
// server engines in memory; each ends in a typed TlsHandshakeError or an unfinished handshake,
// and nothing else escapes. Then a malformed and a good client at once on a real socket.
import '@proxy/tls-boring';
import { connect } from 'node:net';
import { TlsHandshakeError, TlsSettings } from '@proxy/core';
import { compileClient, compileServer, newClientEngine, newServerEngine } from '@proxy/tls-boring';
import { BackendTestServer, backendConnect, clientOptions, exchange, testPki } from '@proxy/testkit';
import { afterAll, describe, expect, it } from 'vitest';

/** xorshift32: a fixed seed makes every run the same run. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

function mutate(input: Uint8Array, r: () => number): Uint8Array {
  const b = Array.from(input);
  const edits = 1 + (r() % 4);
  for (let i = 0; i < edits; i++) {
    const op = r() % 5;
    const at = b.length ? r() % b.length : 0;
    if (op === 0 && b.length) b[at] = r() & 0xff; // overwrite
    else if (op === 1 && b.length) b[at]! ^= 1 << (r() % 8); // bit flip
    else if (op === 2) b.length = at; // truncate
    else if (op === 3) b.splice(at, 0, ...Array.from({ length: 1 + (r() % 8) }, () => r() & 0xff)); // insert
    else if (b.length > 1) b[at] = 0xff; // an implausible length byte
  }
  return Uint8Array.from(b);
}

/** The content types of the records in `out`. */
function recordTypes(out: Uint8Array): number[] {
  const types: number[] = [];
  for (let o = 0; o + 5 <= out.length; o += 5 + ((out[o + 3]! << 8) | out[o + 4]!)) types.push(out[o]!);
  return types;
}

const pki = testPki();
const target = { sni: 'localhost', addr: '127.0.0.1:443' };

describe('fuzz: hostile records into BoringSSL engines (fixed seed, bounded)', () => {
  const server = compileServer(
    TlsSettings.intermediate(pki.serverEcdsa.chain, pki.serverEcdsa.key).setClientAuth({ ca: pki.caPem, required: false }),
  );
  const client = compileClient(clientOptions(pki));
  const clientHello = (): Uint8Array => {
    const c = newClientEngine(client, target);
    c.start();
    const out = Buffer.concat(c.pullOutputChunks());
    c.destroy();
    return out;
  };

  it('3000 mutated or truncated ClientHello records: a typed error with an alert, or no verdict yet; nothing else', () => {
    const r = rng(0x5eed);
    const hello = clientHello();
    const outcomes = { error: 0, pending: 0, answered: 0 };
    for (let i = 0; i < 3000; i++) {
      const s = newServerEngine(server);
      const input = i % 10 === 0 ? Uint8Array.from({ length: r() % 300 }, () => r() & 0xff) : mutate(hello, r);
      try {
        // Random-sized slices: record reassembly must cope with any split.
        for (let o = 0; o < input.length;) {
          const n = 1 + (r() % 200);
          s.receive(input.subarray(o, o + n));
          o += n;
        }
        const out = Buffer.concat(s.pullOutputChunks());
        if (out.length > 0) {
          outcomes.answered++;
          expect(recordTypes(out)[0]).toBe(22); // a ServerHello flight
        } else {
          outcomes.pending++;
        }
      } catch (e) {
        if (!(e instanceof TlsHandshakeError)) throw new Error(`untyped error escaped: ${(e as Error)?.stack ?? String(e)}`);
        outcomes.error++;
        const out = Buffer.concat(s.pullOutputChunks());
        // A fatal error ends with its alert: plaintext (21), or protected (23) once the server's keys are on.
        if (out.length > 0) expect([21, 23]).toContain(recordTypes(out).at(-1));
      } finally {
        s.destroy();
      }
    }
    expect(outcomes.error).toBeGreaterThan(1000);
    expect(outcomes.error + outcomes.pending + outcomes.answered).toBe(3000);
  });

  for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
    it(`${version}: 500 mutated client flights after the ServerHello end in typed errors, never a handshake`, () => {
      const r = rng(version === 'TLSv1.2' ? 0x1212 : 0x1313);
      const versioned = compileServer(TlsSettings.intermediate(pki.serverEcdsa.chain, pki.serverEcdsa.key).setVersions(version, version));
      let errors = 0;
      for (let i = 0; i < 500; i++) {
        const c = newClientEngine(client, target);
        const s = newServerEngine(versioned);
        c.start();
        for (const chunk of c.pullOutputChunks()) s.receive(chunk);
        for (const chunk of s.pullOutputChunks()) c.receive(chunk);
        const answer = Buffer.concat(c.pullOutputChunks());
        const bad = mutate(answer, r);
        try {
          s.receive(bad);
        } catch (e) {
          if (!(e instanceof TlsHandshakeError)) throw new Error(`untyped error escaped: ${String(e)}`);
          errors++;
        }
        // A changed Finished or key share never completes; only ignored bytes may (record version).
        if (s.handshakeDone) expect(bad.length).toBeGreaterThanOrEqual(answer.length);
        c.destroy();
        s.destroy();
      }
      expect(errors).toBeGreaterThan(250);
    });
  }

  it('garbage, oversized records and wrong content types are fatal, with the alert RFC 8446 names', () => {
    const cases: Array<[Uint8Array, number]> = [
      [Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), 0], // HTTP on a TLS port
      [Uint8Array.of(22, 3, 1, 0x48, 0x01), 22], // record longer than 2^14 + 2048: record_overflow
      [Uint8Array.of(23, 3, 3, 0, 1, 0), 10], // application data before the handshake: unexpected_message
      [Uint8Array.of(22, 3, 1, 0, 4, 2, 0, 0, 0), 10], // a ServerHello sent to a server
      [Uint8Array.of(22, 3, 1, 0, 4, 1, 0, 0, 0), 50], // an empty ClientHello: decode_error
    ];
    for (const [bytes, alert] of cases) {
      const s = newServerEngine(server);
      let error: unknown;
      try {
        s.receive(bytes);
      } catch (e) {
        error = e;
      }
      expect(error, Buffer.from(bytes).toString('hex')).toBeInstanceOf(TlsHandshakeError);
      if (alert !== 0) expect((error as TlsHandshakeError).alert, Buffer.from(bytes).toString('hex')).toBe(alert);
      s.destroy();
    }
  });
});

describe('a malformed client and a good client on one listener', () => {
  let srv: BackendTestServer | undefined;
  afterAll(async () => {
    await srv?.close();
  });

  it('the malformed one fails alone; the good one is served', async () => {
    srv = await BackendTestServer.start(TlsSettings.intermediate(pki.serverEcdsa.chain, pki.serverEcdsa.key), 'echo');
    const port = srv.port;
    const r = rng(0xfeed);
    const c = newClientEngine(compileClient(clientOptions(pki)), target);
    c.start();
    const hello = Buffer.concat(c.pullOutputChunks());
    c.destroy();
    // Several hostile clients: mutated ClientHellos, each closed by the server on its own.
    const hostile = Array.from({ length: 8 }, (_, i) => new Promise<Buffer>((resolve) => {
      const s = connect(port, '127.0.0.1');
      const got: Buffer[] = [];
      s.on('data', (d) => got.push(d));
      s.on('error', () => {});
      s.on('close', () => resolve(Buffer.concat(got)));
      // end(): a truncated hello would otherwise wait for the handshake timeout.
      s.on('connect', () => s.end(i === 0 ? Buffer.from([22, 3, 1, 0x48, 0x01]) : Buffer.from(mutate(hello, r))));
      setTimeout(() => s.destroy(), 5000).unref();
    }));
    const good = await backendConnect(port, clientOptions(pki), 'localhost');
    expect(await exchange(good, 'hello', /hello/)).toBe('hello');
    good.destroy();
    const replies = await Promise.all(hostile);
    // The oversized record was answered with record_overflow (22) and a close.
    expect([...replies[0]!]).toEqual([21, 3, 1, 0, 2, 2, 22]);
  });
});
