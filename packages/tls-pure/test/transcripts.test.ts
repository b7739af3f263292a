// Recorded handshakes, as Go's crypto/tls keeps them (testdata/Client-*, Server-*): each file in
// test/transcripts/ holds the bytes a real openssl peer sent and the bytes our engine answered,
// recorded live with fixed randomness and a fixed clock. The replay feeds the peer's bytes to a
// fresh engine with the same randomness and clock, and compares every flight byte for byte, so
// any change in what the engine sends (order, extensions, padding, keys) shows up here.
//
// Re-record (needs the openssl CLI; rewrites every file):
//   PURE_TLS_RECORD=1 npx vitest run test/transcripts.test.ts
// then review `git diff test/transcripts/` like any other change.
import { createHash } from 'node:crypto';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TlsSettings, parseCertificates, tlsClientOptions, type TlsEngine } from '@proxy/core';
import {
  SessionCache, compileClientConfig, compileServerConfig, newClientEngine, newServerEngine, pureCryptoProviderWith, type CryptoProvider,
} from '../src/index.js';

const DIR = new URL('./transcripts/', import.meta.url).pathname;
const RECORD = process.env['PURE_TLS_RECORD'] === '1';

/** Deterministic bytes: SHA-256 in counter mode over a seed (test use only). */
function fixedRandom(seed: string): CryptoProvider {
  let counter = 0;
  let pool = Buffer.alloc(0);
  return pureCryptoProviderWith((n) => {
    while (pool.length < n) pool = Buffer.concat([pool, createHash('sha256').update(`${seed}/${counter++}`).digest()]);
    const out = new Uint8Array(pool.subarray(0, n));
    pool = pool.subarray(n);
    return out;
  }, `fixed(${seed})`);
}

interface Pems { ca: string; chain: string; key: string; clientChain: string; clientKey: string }

type Step = { in: string; out: string };
interface Transcript {
  name: string;
  description: string;
  /** The fixed clock (ms since the epoch) of the recording, restored for the replay. */
  time: number;
  peer: string[];
  pki: Pems;
  /** One list of steps per connection: the peer's bytes in, our answer out (hex). */
  connections: Step[][];
}

interface Scenario {
  name: string;
  description: string;
  side: 'server' | 'client';
  /** openssl arguments; {port}, {ca}, {chain}, {key}, {clientChain}, {clientKey}, {sess} are filled in. */
  peer: string[][];
  settings?: (p: Pems, dir: string) => TlsSettings;
  client?: { maxVersion?: 'TLSv1.2' | 'TLSv1.3' };
  /** What each connection's digest must say once replayed (that the transcript shows what its name claims). */
  expect: Array<{ version: 'TLSv1.2' | 'TLSv1.3'; sessionReused: boolean; group?: string; peerCertificate?: boolean }>;
}

const SCENARIOS: Scenario[] = [
  {
    name: 'Server-TLSv13-openssl', description: 'pure server, openssl s_client -tls1_3, ECDSA P-256, x25519', expect: [{ version: 'TLSv1.3', sessionReused: false, group: 'x25519' }], side: 'server',
    peer: [['s_client', '-connect', '127.0.0.1:{port}', '-servername', 'localhost', '-tls1_3', '-CAfile', '{ca}', '-ign_eof']],
  },
  {
    name: 'Server-TLSv12-openssl', description: 'pure server, openssl s_client -tls1_2, ECDHE-ECDSA with a ticket', expect: [{ version: 'TLSv1.2', sessionReused: false, group: 'x25519' }], side: 'server',
    peer: [['s_client', '-connect', '127.0.0.1:{port}', '-servername', 'localhost', '-tls1_2', '-CAfile', '{ca}', '-ign_eof']],
  },
  {
    name: 'Server-TLSv13-ClientCert-openssl', description: 'pure server requiring a client certificate, openssl s_client -cert', expect: [{ version: 'TLSv1.3', sessionReused: false, peerCertificate: true }], side: 'server',
    peer: [['s_client', '-connect', '127.0.0.1:{port}', '-servername', 'localhost', '-tls1_3', '-CAfile', '{ca}', '-cert', '{clientChain}',
      '-cert_chain', '{clientChain}', '-key', '{clientKey}', '-ign_eof']],
    settings: (p, dir) => serverSettings(p, dir).setClientAuth({ ca: p.ca, required: true }),
  },
  {
    name: 'Server-TLSv13-Resume-openssl', description: 'pure server, two openssl connections: a full handshake, then PSK-DHE resumption', expect: [{ version: 'TLSv1.3', sessionReused: false }, { version: 'TLSv1.3', sessionReused: true }], side: 'server',
    peer: [
      ['s_client', '-connect', '127.0.0.1:{port}', '-servername', 'localhost', '-tls1_3', '-CAfile', '{ca}', '-ign_eof', '-sess_out', '{sess}'],
      ['s_client', '-connect', '127.0.0.1:{port}', '-servername', 'localhost', '-tls1_3', '-CAfile', '{ca}', '-ign_eof', '-sess_in', '{sess}'],
    ],
  },
  {
    name: 'Client-TLSv13-HRR-openssl', description: 'pure client, openssl s_server -groups P-256: HelloRetryRequest from its X25519MLKEM768 and x25519 shares', expect: [{ version: 'TLSv1.3', sessionReused: false, group: 'secp256r1', peerCertificate: true }], side: 'client',
    peer: [['s_server', '-accept', '{port}', '-cert', '{chain}', '-cert_chain', '{chain}', '-key', '{key}', '-groups', 'P-256', '-www', '-naccept', '1']],
  },
  {
    name: 'Client-TLSv12-openssl', description: 'pure client limited to TLS 1.2, openssl s_server -tls1_2', expect: [{ version: 'TLSv1.2', sessionReused: false, peerCertificate: true }], side: 'client',
    peer: [['s_server', '-accept', '{port}', '-cert', '{chain}', '-cert_chain', '{chain}', '-key', '{key}', '-tls1_2', '-www', '-naccept', '1']],
    client: { maxVersion: 'TLSv1.2' },
  },
];

function serverSettings(p: Pems, dir: string): TlsSettings {
  writeFileSync(join(dir, 'chain.pem'), p.chain);
  writeFileSync(join(dir, 'key.pem'), p.key);
  return TlsSettings.intermediate(join(dir, 'chain.pem'), join(dir, 'key.pem'));
}

const RESPONSE = new TextEncoder().encode('HTTP/1.0 200 OK\r\ncontent-length: 4\r\n\r\npure');
const REQUEST = new TextEncoder().encode('GET / HTTP/1.0\r\n\r\n');

/** One engine's side of a connection: input in, our output out; the application writes once when the handshake is done. */
class Driver {
  private wrote = false;
  failure: unknown;
  constructor(readonly engine: TlsEngine & { handshakeDone: boolean; peerClosed: boolean }, private readonly side: 'server' | 'client') {}
  start(): string {
    if (this.side === 'client') this.engine.start();
    return this.drain();
  }
  step(input: Uint8Array): string {
    try {
      this.engine.receive(input);
    } catch (e) {
      // An error is part of the transcript: the alert it queued is in the output.
      this.failure ??= e;
    }
    return this.drain();
  }
  private drain(): string {
    if (this.engine.handshakeDone && !this.wrote) {
      this.wrote = true;
      try {
        if (this.side === 'server') {
          this.engine.send(RESPONSE);
          this.engine.close();
        } else {
          this.engine.send(REQUEST);
        }
      } catch {
        // failed engine: nothing to write
      }
    }
    // The peer's close_notify is answered with ours (RFC 8446 6.1).
    if (this.engine.peerClosed) this.engine.close();
    const out: Uint8Array[] = [];
    for (let o = this.engine.pullOutput(); o; o = this.engine.pullOutput()) out.push(o);
    return Buffer.concat(out).toString('hex');
  }
}

/** The engines of one scenario, in connection order, from one compiled configuration (as an acceptor or connector would). */
function engines(s: Scenario, pki: Pems, dir: string, provider: CryptoProvider): () => Driver {
  if (s.side === 'server') {
    const cfg = compileServerConfig(s.settings ? s.settings(pki, dir) : serverSettings(pki, dir), provider,
      // Recorded with the TLS 1.2 session-ID cache on (its ServerHello carries a session ID).
      { maxEntries: 10_000 });
    return () => new Driver(newServerEngine(cfg, '127.0.0.1:1'), 'server');
  }
  const cache = new SessionCache();
  const options = tlsClientOptions({ ca: parseCertificates(pki.ca, 'ca', 'CA'), caPem: pki.ca, handshakeTimeoutMs: 5000, ...s.client });
  return () => new Driver(newClientEngine(compileClientConfig(options, { sni: 'localhost', addr: '127.0.0.1:1' }, cache, provider)), 'client');
}

afterEach(() => {
  vi.useRealTimers();
});

describe('recorded transcripts replayed with fixed randomness: our flights byte for byte', () => {
  for (const s of SCENARIOS) {
    const file = join(DIR, `${s.name}.json`);
    if (RECORD) {
      it(`records ${s.name}`, async () => {
        const t = await record(s);
        mkdirSync(DIR, { recursive: true });
        writeFileSync(file, `${JSON.stringify(t, null, 1)}\n`);
      }, 60_000);
      continue;
    }
    it(`${s.name}: ${s.description}`, () => {
      const t = JSON.parse(readFileSync(file, 'utf8')) as Transcript;
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(t.time);
      const dir = mkdtempSync(join(tmpdir(), 'pure-transcript-'));
      try {
        const next = engines(s, t.pki, dir, fixedRandom(s.name));
        expect(t.connections.length).toBe(s.peer.length);
        for (const [c, steps] of t.connections.entries()) {
          const d = next();
          const first = d.start();
          expect(first, `connection ${c}: first flight`).toBe(steps[0]!.out);
          for (const [i, step] of steps.slice(1).entries()) {
            expect(d.step(Buffer.from(step.in, 'hex')), `connection ${c}, step ${i + 1}`).toBe(step.out);
          }
          expect(d.engine.handshakeDone, `connection ${c} completed`).toBe(true);
          const digest = d.engine.digest();
          const want = s.expect[c]!;
          expect({ version: digest.version, sessionReused: digest.sessionReused }).toEqual({ version: want.version, sessionReused: want.sessionReused });
          if (want.group) expect(digest.group).toBe(want.group);
          if (want.peerCertificate) expect(digest.peerCertificate?.sha256).toMatch(/^[0-9A-F]{64}$/);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

// ---- recording (PURE_TLS_RECORD=1) ----

function makePems(dir: string): Pems {
  const run = (args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  };
  const key = (name: string) => run(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`]);
  key('ca');
  run(['req', '-x509', '-new', '-key', 'ca.key', '-subj', '/CN=Transcript CA', '-days', '30', '-out', 'ca.pem',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign']);
  const leaf = (name: string, ext: string) => {
    key(name);
    run(['req', '-new', '-key', `${name}.key`, '-subj', `/CN=${name}`, '-out', `${name}.csr`]);
    writeFileSync(join(dir, `${name}.ext`), ext);
    run(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '30', '-extfile', `${name}.ext`,
      '-out', `${name}.pem`]);
  };
  leaf('server', 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost\n');
  leaf('client', 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n');
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  return { ca: read('ca.pem'), chain: read('server.pem'), key: read('server.key'), clientChain: read('client.pem'), clientKey: read('client.key') };
}

async function record(s: Scenario): Promise<Transcript> {
  const dir = mkdtempSync(join(tmpdir(), 'pure-record-'));
  const pki = makePems(dir);
  // After the certificates' notBefore (whole seconds), so that they verify at this instant.
  const time = Math.ceil(Date.now() / 1000) * 1000 + 1000;
  for (const [name, pem] of Object.entries(pki)) writeFileSync(join(dir, `${name}.pem`), pem);
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(time);
  const next = engines(s, pki, dir, fixedRandom(s.name));
  const fill = (args: string[], port: number) => args.map((a) => a
    .replace('{port}', String(port)).replace('{ca}', join(dir, 'ca.pem')).replace('{chain}', join(dir, 'chain.pem'))
    .replace('{key}', join(dir, 'key.pem')).replace('{clientChain}', join(dir, 'clientChain.pem'))
    .replace('{clientKey}', join(dir, 'clientKey.pem')).replace('{sess}', join(dir, 'session.pem')));
  const connections: Step[][] = [];
  try {
    for (const args of s.peer) {
      const steps: Step[] = [];
      connections.push(steps);
      const relay = (socket: Socket, d: Driver) => new Promise<void>((resolve) => {
        const first = d.start();
        steps.push({ in: '', out: first });
        if (first) socket.write(Buffer.from(first, 'hex'));
        socket.on('data', (chunk: Buffer) => {
          const out = d.step(chunk);
          steps.push({ in: chunk.toString('hex'), out });
          if (out) socket.write(Buffer.from(out, 'hex'));
          if (d.failure || d.engine.peerClosed) socket.end();
        });
        socket.on('error', () => {});
        socket.on('close', () => resolve());
      });
      if (s.side === 'server') {
        const done: Promise<void>[] = [];
        const server = createServer((socket) => done.push(relay(socket, next())));
        await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
        const port = (server.address() as AddressInfo).port;
        const peer = spawn('openssl', fill(args, port), { stdio: ['pipe', 'ignore', 'ignore'] });
        await new Promise((r) => peer.once('exit', r));
        await Promise.all(done);
        server.close();
      } else {
        const port = 20000 + Math.floor(Math.random() * 10000);
        const peer = spawn('openssl', fill(args, port), { stdio: ['pipe', 'pipe', 'ignore'] });
        await new Promise<void>((r) => peer.stdout!.on('data', (b: Buffer) => (b.toString().includes('ACCEPT') ? r() : undefined)));
        const socket = connect({ port, host: '127.0.0.1' });
        await new Promise((r) => socket.once('connect', r));
        const d = next();
        await relay(socket, d);
        peer.kill();
        if (d.failure) throw d.failure;
      }
    }
  } finally {
    vi.useRealTimers();
    rmSync(dir, { recursive: true, force: true });
  }
  return { name: s.name, description: s.description, time, peer: s.peer.map((a) => a.join(' ')), pki, connections };
}
