import net from 'node:net';
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { Duplex } from 'node:stream';
import { HttpProxy, type HttpProxyOptions, type ProxyHttp } from '../../src/proxy/index.js';
import { ServerConf } from '../../src/server/conf.js';
import { connectionInfo } from '../../src/listeners/connection-info.js';
import type { SslDigest } from '../../src/tls/digest.js';

export interface RunningProxy<Ctx> {
  proxy: HttpProxy<Ctx>;
  port: number;
  close(): Promise<void>;
}

/**
 * Serves `proxy` on a loopback TCP port the way a Service does: every accepted socket goes to
 * handleConnection. `wrap` turns the socket into a plain Duplex first (to prove nothing relies
 * on net.Socket); `h2` marks connections as ALPN-negotiated h2 (the only digest field the HTTP
 * layer reads), since core has no TLS backend of its own.
 */
export async function startProxy<Ctx>(
  app: ProxyHttp<Ctx>,
  conf: Partial<ServerConf> = {},
  opts: { wrap?: boolean; h2?: boolean; state?: Record<string, unknown>; options?: HttpProxyOptions } = {},
): Promise<RunningProxy<Ctx>> {
  const proxy = HttpProxy.new(app, new ServerConf(conf), opts.options);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const digest = opts.h2 ? ({ alpn: 'h2' } as SslDigest) : undefined;
    const info = connectionInfo(socket, { ...opts.state });
    proxy.handleConnection(opts.wrap ? wrapAsDuplex(socket) : socket, { info, digest });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    proxy,
    port: (server.address() as AddressInfo).port,
    async close() {
      await proxy.shutdown(100);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A Duplex over a socket that is not a net.Socket (no setTimeout, no _handle), like a non-OpenSSL TlsStream. */
export function wrapAsDuplex(sock: net.Socket): Duplex {
  const d = new Duplex({
    read() {
      sock.resume();
    },
    write(chunk, _enc, cb) {
      sock.write(chunk, cb);
    },
    final(cb) {
      sock.end();
      cb();
    },
    destroy(err, cb) {
      sock.destroy();
      cb(err);
    },
  });
  sock.on('data', (c) => {
    if (!d.push(c)) sock.pause();
  });
  sock.on('end', () => d.push(null));
  sock.on('close', () => d.destroy());
  sock.on('error', (e) => d.destroy(e));
  return d;
}

export interface Origin {
  port: number;
  addr: string;
  /** Downstream connections the origin accepted. */
  connections: number;
  close(): Promise<void>;
}

/** A Node http origin on loopback. */
export function startH1Origin(handler: http.RequestListener): Promise<Origin> {
  const server = http.createServer(handler);
  server.keepAliveTimeout = 30_000;
  return listenOrigin(server, () => server.closeAllConnections());
}

/** A cleartext HTTP/2 (prior knowledge) origin on loopback. */
export function startH2cOrigin(onStream: (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void): Promise<Origin> {
  const server = http2.createServer();
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });
  server.on('stream', onStream);
  return listenOrigin(server, () => {
    for (const s of sessions) s.destroy();
  });
}

/** Binds `server` to a loopback port and counts its connections; `close` cuts what `closeConnections` reaches, then closes. */
async function listenOrigin(server: net.Server, closeConnections: () => void): Promise<Origin> {
  const origin: Origin = {
    port: 0,
    addr: '',
    connections: 0,
    close: () => new Promise<void>((resolve) => {
      closeConnections();
      server.close(() => resolve());
    }),
  };
  server.on('connection', () => origin.connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin.port = (server.address() as AddressInfo).port;
  origin.addr = `127.0.0.1:${origin.port}`;
  return origin;
}

export interface ClientResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
}

/** One HTTP/1.1 request through `agent` (keep-alive when given). */
export function request(
  port: number,
  opts: { method?: string; path?: string; headers?: http.OutgoingHttpHeaders; body?: Buffer | string | (() => AsyncIterable<Buffer>); agent?: http.Agent | false } = {},
): Promise<ClientResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port,
      method: opts.method ?? 'GET',
      path: opts.path ?? '/',
      headers: opts.headers,
      agent: opts.agent ?? false,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    const body = opts.body;
    if (typeof body === 'function') {
      void (async () => {
        for await (const c of body()) if (!req.write(c)) await new Promise((r) => req.once('drain', r));
        req.end();
      })();
    } else {
      req.end(body);
    }
  });
}

/** Raw bytes in, raw bytes out until the server closes or `until` matches. */
export function rawExchange(port: number, data: string, until?: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let out = '';
    sock.on('data', (c) => {
      out += c.toString('latin1');
      if (until && until.test(out)) {
        sock.destroy();
        resolve(out);
      }
    });
    sock.on('end', () => resolve(out));
    sock.on('error', reject);
    sock.write(data);
  });
}
