import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Alpn, Connector, H1Connection, HttpPeer, type H1ResponseSink } from '../src/index.js';

/** Origin: answers every request with a fixed response; remembers its sockets so a test can poke them. */
let server: net.Server;
let port = 0;
const sockets: net.Socket[] = [];

beforeAll(async () => {
  server = net.createServer((s) => {
    sockets.push(s);
    s.on('data', () => s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'));
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((r) => server.close(() => r()));
});

function oneExchange(conn: H1Connection): Promise<void> {
  return new Promise((resolve, reject) => {
    const sink: H1ResponseSink = {
      onUpstreamHead() {},
      onUpstreamBody() {},
      onUpstreamEnd: () => resolve(),
      onUpstreamError: reject,
    };
    conn.send('GET / HTTP/1.1\r\nHost: x\r\n\r\n', sink, false, false, undefined);
  });
}

async function used(connector: Connector, peer: HttpPeer): Promise<H1Connection> {
  const conn = (await connector.acquire(peer)) as H1Connection;
  await oneExchange(conn);
  return conn;
}

/** Resolves when the connection's socket has closed (the pool closes what it must not keep); no fixed sleeps. */
function socketClosed(conn: H1Connection): Promise<void> {
  if (conn.stream.destroyed && conn.closed) return Promise.resolve();
  return new Promise((resolve) => conn.stream.once('close', () => resolve()));
}

describe('connection pool', () => {
  it('hands a parked connection back to the same reuse key only', async () => {
    const connector = new Connector({ poolSize: 8 });
    const peer = new HttpPeer(`127.0.0.1:${port}`, false, '');
    const c1 = await used(connector, peer);
    connector.release(c1, peer);
    expect(connector.pool.idleCount).toBe(1);
    const other = new HttpPeer(`127.0.0.1:${port}`, false, '');
    other.options.groupKey = 'tenant-b';
    const c2 = await connector.acquire(other);
    expect(c2).not.toBe(c1);
    const c3 = await connector.acquire(new HttpPeer(`127.0.0.1:${port}`, false, ''));
    expect(c3).toBe(c1);
    (c2 as H1Connection).destroy();
    c1.destroy();
    connector.close();
  });

  it('never hands out a connection that closed or sent bytes while idle', async () => {
    const connector = new Connector({ poolSize: 8 });
    const peer = new HttpPeer(`127.0.0.1:${port}`, false, '');
    const a = await used(connector, peer);
    const b = await used(connector, peer);
    connector.release(a, peer);
    connector.release(b, peer);
    expect(connector.pool.idleCount).toBe(2);
    // The origin side of `a` sends garbage; of `b` closes.
    const n = sockets.length;
    const sa = sockets.find((s) => s.remotePort === (a.stream as net.Socket).localPort)!;
    const sb = sockets.find((s) => s.remotePort === (b.stream as net.Socket).localPort)!;
    expect(n).toBeGreaterThanOrEqual(2);
    sa.write('HTTP/1.1 408 Request Timeout\r\n\r\n');
    sb.end();
    await Promise.all([socketClosed(a), socketClosed(b)]);
    expect(connector.pool.idleCount).toBe(0);
    expect(a.closed && b.closed).toBe(true);
    const c = await connector.acquire(peer);
    expect(c).not.toBe(a);
    expect(c).not.toBe(b);
    (c as H1Connection).destroy();
    connector.close();
  });

  it('is bounded by its capacity, evicting the least recently parked', async () => {
    const connector = new Connector({ poolSize: 2 });
    const peers = [0, 1, 2].map((i) => {
      const p = new HttpPeer(`127.0.0.1:${port}`, false, '');
      p.options.groupKey = `g${i}`;
      return p;
    });
    const conns = [];
    for (const p of peers) conns.push(await used(connector, p));
    conns.forEach((c, i) => connector.release(c, peers[i]!));
    expect(connector.pool.idleCount).toBe(2);
    expect(conns[0]!.closed).toBe(true);
    expect(await connector.acquire(peers[2]!)).toBe(conns[2]);
    connector.close();
    expect(conns[1]!.closed).toBe(true);
    conns[2]!.destroy();
  });

  it('pool size 0 keeps nothing; idleTimeout evicts', async () => {
    const none = new Connector({ poolSize: 0 });
    const peer = new HttpPeer(`127.0.0.1:${port}`, false, '');
    const c = await used(none, peer);
    none.release(c, peer);
    expect(none.pool.idleCount).toBe(0);
    expect(c.closed).toBe(true);

    const connector = new Connector({ poolSize: 4 });
    peer.options.idleTimeout = 50;
    const d = await used(connector, peer);
    const parkedAt = Date.now();
    connector.release(d, peer);
    expect(connector.pool.idleCount).toBe(1);
    await socketClosed(d);
    expect(Date.now() - parkedAt).toBeGreaterThanOrEqual(45);
    expect(connector.pool.idleCount).toBe(0);
    expect(d.closed).toBe(true);
  });

  it('a connection whose exchange did not finish cleanly is not parked', async () => {
    const connector = new Connector({ poolSize: 4 });
    const peer = new HttpPeer(`127.0.0.1:${port}`, false, '');
    const conn = (await connector.acquire(peer)) as H1Connection;
    conn.send('GET / HTTP/1.1\r\n\r\n', { onUpstreamHead() {}, onUpstreamBody() {}, onUpstreamEnd() {}, onUpstreamError() {} }, false, true, undefined);
    connector.release(conn, peer); // request body never ended
    expect(connector.pool.idleCount).toBe(0);
    expect(conn.closed).toBe(true);
  });
});

describe('HttpPeer.reuseKey', () => {
  it('changes with every field that changes the TLS session, and only those', () => {
    const base = () => new HttpPeer('10.0.0.1:443', true, 'a.test');
    const key = base().reuseKey();
    expect(base().reuseKey()).toBe(key);
    const variants: Array<(p: HttpPeer) => void> = [
      (p) => (p.options.verifyCert = false),
      (p) => (p.options.verifyHostname = false),
      (p) => (p.options.alternativeCn = 'b.test'),
      (p) => (p.options.alpn = Alpn.H2H1),
      (p) => (p.options.groupKey = 'g'),
    ];
    const keys = new Set([key]);
    for (const v of variants) {
      const p = base();
      v(p);
      keys.add(p.reuseKey());
    }
    keys.add(new HttpPeer('10.0.0.1:443', true, 'other.test').reuseKey());
    keys.add(new HttpPeer('10.0.0.1:443', true, '').reuseKey());
    keys.add(new HttpPeer('10.0.0.2:443', true, 'a.test').reuseKey());
    keys.add(new HttpPeer('10.0.0.1:443', false, 'a.test').reuseKey());
    expect(keys.size).toBe(variants.length + 5);
    // Timeouts do not change the session.
    const t = base();
    t.options.readTimeout = 5;
    t.options.connectionTimeout = 5;
    expect(t.reuseKey()).toBe(key);
  });

  it('parses addresses, IPv6 included, and rejects bad ones', () => {
    const v6 = new HttpPeer('[::1]:8443', true, '');
    expect(v6.host).toBe('::1');
    expect(v6.port).toBe(8443);
    expect(() => new HttpPeer('nohost', false, '')).toThrow(TypeError);
    expect(() => new HttpPeer('h:0', false, '')).toThrow(TypeError);
  });

  it('ca is parsed when set; a bad PEM fails there', () => {
    const p = new HttpPeer('h:1', true, 'x');
    expect(() => (p.options.ca = 'not a pem')).toThrow(/no PEM certificate/);
  });
});
