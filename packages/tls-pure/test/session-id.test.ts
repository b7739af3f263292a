import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertKey, TlsSettings, connectionInfo, type SslDigest, type TlsAcceptor } from '@proxy/core';
import { opensslClient } from '@proxy/testkit';
import { createPureAcceptor, type PureConfigOptions } from '../src/index.js';
import { ServerSessionCache } from '../src/session-cache.js';
import type { TicketState } from '../src/tickets.js';
import { makePki } from './support/pki.js';

const pki = makePki();

/** A pure acceptor on a loopback port that answers one request line and records each digest. */
async function serve(settings: TlsSettings, opts: PureConfigOptions): Promise<{ port: number; digests: SslDigest[]; close(): Promise<void> }> {
  const acceptor: TlsAcceptor = createPureAcceptor(settings, opts);
  const digests: SslDigest[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    acceptor.accept(socket, connectionInfo(socket)).then((s) => {
      digests.push(s.digest);
      s.on('error', () => {});
      s.once('data', () => s.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok'));
    }, () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    digests,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pure-session-id-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Two openssl TLS 1.2 connections without tickets (-no_ticket), the second offering the first's session id. */
async function twice(port: number, name: string, extra: string[] = []): Promise<string> {
  const file = join(dir, `${name}.session`);
  const request = 'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n';
  const base = { port, servername: 'localhost', tls: '1.2' as const, input: request, waitForServerClose: true, timeoutMs: 5000 };
  const first = await opensslClient({ ...base, extraArgs: ['-no_ticket', '-sess_out', file, ...extra] });
  expect(first.code, first.output).toBe(0);
  // A ServerHello without a session id leaves openssl nothing to resume: no session file.
  if (!existsSync(file)) return 'New, (no session id to resume)';
  const second = await opensslClient({ ...base, extraArgs: ['-no_ticket', '-sess_in', file, ...extra] });
  expect(second.code, second.output).toBe(0);
  return second.output;
}

describe('TLS 1.2 session-ID resumption (clients without tickets)', () => {
  // Off by default on every backend; TlsSettings.setSessionIdCache(n) turns it on.
  const settings = () => TlsSettings.intermediate(pki.ecdsa.certPath, pki.ecdsa.keyPath).setSessionIdCache(100);

  it('off by default: full handshakes', async () => {
    const srv = await serve(TlsSettings.intermediate(pki.ecdsa.certPath, pki.ecdsa.keyPath), {});
    try {
      expect(await twice(srv.port, 'default')).toMatch(/^New, /m);
      expect(srv.digests.every((d) => !d.sessionReused)).toBe(true);
    } finally {
      await srv.close();
    }
  });

  it('setSessionIdCache(100): the second connection resumes by session id, digest.sessionReused true', async () => {
    const srv = await serve(settings(), {});
    try {
      expect(await twice(srv.port, 'on')).toMatch(/^Reused, TLSv1\.2/m);
      expect(srv.digests.map((d) => d.sessionReused)).toEqual([false, true]);
    } finally {
      await srv.close();
    }
  });

  it('the certificate callback runs on a session-id resumption too', async () => {
    const certKey = CertKey.fromFiles(pki.ecdsa.certPath, pki.ecdsa.keyPath);
    let calls = 0;
    const srv = await serve(TlsSettings.withCallbacks({ certificate: () => (calls++, certKey) }, certKey).setSessionIdCache(100), {});
    try {
      expect(await twice(srv.port, 'callback')).toMatch(/^Reused, TLSv1\.2/m);
      expect(calls).toBe(2);
    } finally {
      await srv.close();
    }
  });

  it('sessionIdCache: false turns it off: full handshakes', async () => {
    const srv = await serve(settings(), { sessionIdCache: false });
    try {
      expect(await twice(srv.port, 'off')).toMatch(/^New, /m);
      expect(srv.digests.every((d) => !d.sessionReused)).toBe(true);
    } finally {
      await srv.close();
    }
  });

  it('a different SNI does not resume the session', async () => {
    const srv = await serve(settings(), {});
    try {
      const file = join(dir, 'sni.session');
      const request = 'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n';
      const base = { port: srv.port, tls: '1.2' as const, input: request, waitForServerClose: true, timeoutMs: 5000 };
      expect((await opensslClient({ ...base, servername: 'localhost', extraArgs: ['-no_ticket', '-sess_out', file] })).code).toBe(0);
      const second = await opensslClient({ ...base, servername: 'test.local', extraArgs: ['-no_ticket', '-sess_in', file] });
      expect(second.output).toMatch(/^New, TLSv1\.2/m);
      expect(srv.digests.map((d) => d.sessionReused)).toEqual([false, false]);
    } finally {
      await srv.close();
    }
  });
});

describe('a session-ID cache in a SessionIdStore (shared by the workers of a server)', () => {
  it('two listeners given one store resume each other\'s sessions; a store without peek is refused', async () => {
    const { SessionIdShare } = await import('@proxy/core');
    // A lone process: the store is a local LRU, answering peek at once (in a worker, a copy of the primary's).
    const store = new SessionIdShare().store('shared:443', 100);
    const shared = () => TlsSettings.intermediate(pki.ecdsa.certPath, pki.ecdsa.keyPath).setSessionIdCache(100, store);
    const a = await serve(shared(), {});
    const b = await serve(shared(), {});
    try {
      const file = join(dir, 'shared.session');
      const request = 'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n';
      const base = { servername: 'localhost', tls: '1.2' as const, input: request, waitForServerClose: true, timeoutMs: 5000 };
      expect((await opensslClient({ ...base, port: a.port, extraArgs: ['-no_ticket', '-sess_out', file] })).code).toBe(0);
      const second = await opensslClient({ ...base, port: b.port, extraArgs: ['-no_ticket', '-sess_in', file] });
      expect(second.output).toMatch(/^Reused, TLSv1\.2/m);
      expect(a.digests.map((d) => d.sessionReused)).toEqual([false]);
      expect(b.digests.map((d) => d.sessionReused)).toEqual([true]);
    } finally {
      await a.close();
      await b.close();
    }
    const noPeek = { set: () => undefined, get: () => undefined };
    expect(() => createPureAcceptor(TlsSettings.intermediate(pki.ecdsa.certPath, pki.ecdsa.keyPath).setSessionIdCache(100, noPeek)))
      .toThrow(expect.objectContaining({ code: 'TLS_FEATURE_UNSUPPORTED' }));
  });
});

describe('ServerSessionCache is bounded', () => {
  const state = (createdAt: number): TicketState => ({
    version: 0x0303, suite: 0xc02b, secret: new Uint8Array(48), createdAt, ageAdd: 0, alpn: '', sni: '', ems: true, clientCert: new Uint8Array(0),
  });
  const id = (n: number) => Uint8Array.of(n);

  it('holds at most maxEntries, evicting the least recently stored', () => {
    const c = new ServerSessionCache(3, 300);
    const now = Date.now();
    for (let i = 0; i < 5; i++) c.put(id(i), state(now));
    expect(c.size).toBe(3);
    expect([0, 1, 2, 3, 4].map((i) => c.get(id(i), now) !== undefined)).toEqual([false, false, true, true, true]);
  });

  it('forgets a session after lifetimeS', () => {
    const c = new ServerSessionCache(10, 300);
    const t0 = Date.now();
    c.put(id(1), state(t0));
    expect(c.get(id(1), t0 + 299_000)).toBeDefined();
    expect(c.get(id(1), t0 + 301_000)).toBeUndefined();
    expect(c.size).toBe(0);
  });

  it('refuses a size that is not a positive integer', () => {
    expect(() => new ServerSessionCache(0)).toThrow(RangeError);
  });
});
