import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { H1Connection, type H1ResponseSink, type ProxyError, type ResponseHead } from '../src/index.js';

/** A TCP origin that answers each request with scripted bytes, optionally one byte per write. */
async function scriptedOrigin(reply: string, opts: { byteByByte?: boolean; closeAfter?: boolean } = {}) {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('data', async () => {
      if (opts.byteByByte) {
        for (const b of Buffer.from(reply, 'latin1')) {
          s.write(Buffer.from([b]));
          await new Promise((r) => setImmediate(r));
        }
      } else {
        s.write(reply, 'latin1');
      }
      if (opts.closeAfter) s.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    sockets,
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
}

interface Result {
  head: ResponseHead | undefined;
  endStream: boolean | undefined;
  body: Buffer;
  error: ProxyError | undefined;
}

function exchange(conn: H1Connection, reqHead = 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', isHead = false): Promise<Result> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const r: Result = { head: undefined, endStream: undefined, body: Buffer.alloc(0), error: undefined };
    const sink: H1ResponseSink = {
      onUpstreamHead(head, endStream) {
        r.head = head;
        r.endStream = endStream;
      },
      onUpstreamBody(chunk) {
        chunks.push(Buffer.from(chunk));
      },
      onUpstreamEnd(last) {
        if (last) chunks.push(Buffer.from(last));
        r.body = Buffer.concat(chunks);
        resolve(r);
      },
      onUpstreamError(err) {
        r.error = err;
        r.body = Buffer.concat(chunks);
        resolve(r);
      },
    };
    conn.send(reqHead, sink, isHead, false, undefined);
  });
}

async function connect(port: number): Promise<H1Connection> {
  const s = net.connect(port, '127.0.0.1');
  await new Promise((r) => s.once('connect', r));
  return new H1Connection(s, 'k', undefined, `127.0.0.1:${port}`);
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function run(reply: string, opts: { byteByByte?: boolean; closeAfter?: boolean } = {}, isHead = false) {
  const origin = await scriptedOrigin(reply, opts);
  const conn = await connect(origin.port);
  cleanups.push(() => conn.destroy(), origin.close);
  const r = await exchange(conn, undefined, isHead);
  return { r, conn };
}

describe('H1Connection response parsing', () => {
  const chunked =
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\nX-A: 2\r\n\r\n' +
    '5;ext=1\r\nhello\r\n1a\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Trailer: t\r\n\r\n';

  it('decodes a chunked body (extensions, trailers) delivered in one write, and stays reusable', async () => {
    const { r, conn } = await run(chunked);
    expect(r.error).toBeUndefined();
    expect(r.head!.status).toBe(200);
    expect(r.head!.reason).toBe('OK');
    expect(r.head!.headers.getAll('x-a')).toEqual(['1', '2']);
    expect(r.head!.headers.has('transfer-encoding')).toBe(false);
    expect(r.body.toString()).toBe('helloabcdefghijklmnopqrstuvwxyz');
    expect(conn.reusable).toBe(true);
  });

  it('decodes the same body delivered one byte at a time', async () => {
    const { r, conn } = await run(chunked, { byteByByte: true });
    expect(r.body.toString()).toBe('helloabcdefghijklmnopqrstuvwxyz');
    expect(conn.reusable).toBe(true);
  });

  it('Content-Length body byte by byte; skips 100 Continue', async () => {
    const { r, conn } = await run('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 5\r\n\r\nabcde', { byteByByte: true });
    expect(r.head!.status).toBe(201);
    expect(r.body.toString()).toBe('abcde');
    expect(conn.reusable).toBe(true);
  });

  it('a second exchange on the same connection works', async () => {
    const origin = await scriptedOrigin('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    const conn = await connect(origin.port);
    cleanups.push(() => conn.destroy(), origin.close);
    for (let i = 0; i < 3; i++) {
      const r = await exchange(conn);
      expect(r.body.toString()).toBe('ok');
    }
    expect(conn.uses).toBe(3);
  });

  it('bytes beyond Content-Length make the connection unusable', async () => {
    const { r, conn } = await run('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA');
    expect(r.body.toString()).toBe('ok');
    expect(conn.reusable).toBe(false);
  });

  it('a body delimited by close is read to the end and not reused', async () => {
    const { r, conn } = await run('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close', { closeAfter: true });
    expect(r.error).toBeUndefined();
    expect(r.body.toString()).toBe('until close');
    expect(conn.reusable).toBe(false);
  });

  it('HTTP/1.0 without keep-alive, and Connection: close, are not reused; Connection-listed fields are dropped', async () => {
    const a = await run('HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\na');
    expect(a.conn.reusable).toBe(false);
    const b = await run('HTTP/1.1 200 OK\r\nConnection: close, x-private\r\nX-Private: 1\r\nContent-Length: 1\r\n\r\nb');
    expect(b.conn.reusable).toBe(false);
    expect(b.r.head!.headers.has('x-private')).toBe(false);
    expect(b.r.head!.headers.has('connection')).toBe(false);
  });

  it('HEAD, 204 and 304 have no body whatever the headers say', async () => {
    const head = await run('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n', {}, true);
    expect(head.r.endStream).toBe(true);
    expect(head.r.head!.headers.get('content-length')).toBe('100');
    expect(head.conn.reusable).toBe(true);
    const nc = await run('HTTP/1.1 304 Not Modified\r\nETag: "x"\r\n\r\n');
    expect(nc.r.endStream).toBe(true);
    expect(nc.conn.reusable).toBe(true);
  });

  it('rejects malformed responses with HttpProtocolError from the upstream', async () => {
    for (const bad of [
      'HTTX/1.1 200 OK\r\n\r\n',
      'HTTP/1.1 2x0 OK\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab',
      'HTTP/1.1 200 OK\r\nBad Header Line\r\n\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
    ]) {
      const { r, conn } = await run(bad);
      expect(r.error?.code, bad).toBe('UPSTREAM_PROTOCOL');
      expect(r.error?.source).toBe('upstream');
      expect(conn.closed).toBe(true);
    }
  });

  it('an upstream closing mid-body is a ConnectionClosedError', async () => {
    const { r } = await run('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc', { closeAfter: true });
    expect(r.error?.code).toBe('UPSTREAM_CONNECTION_CLOSED');
    expect(r.body.toString()).toBe('abc');
  });
});
