import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { HttpPeer, Server, ServerConf, TlsSettings, httpProxyService, type ProxyHttp, type Service } from '@proxy/core';
import { testPki } from '../pki.js';

/**
 * A gateway in this process for the hostile suites: a TLS listener (h2 + http/1.1) in front of
 * a loopback HTTP/1.1 origin that records what reached it. Origin paths: `/hang` is never
 * answered, `/delay` answers after 300 ms, `/big` answers 4 MiB, `/slow-body` answers its head and then 64 KiB every 50 ms,
 * anything else answers `ok <path>` after reading the request body.
 */
export interface HostileGateway {
  port: number;
  service: Service;
  server: Server;
  origin: http.Server;
  /** Request targets the origin received, in order. */
  originSaw: string[];
  /** The header fields of each request the origin received (rawHeaders), in order. */
  originHeaders: string[][];
  /** Origin-side sockets open now. */
  originSockets(): number;
  stop(): Promise<void>;
}

export async function startHostileGateway(conf: Partial<ServerConf> = {}): Promise<HostileGateway> {
  const pki = testPki();
  const originSaw: string[] = [];
  const originHeaders: string[][] = [];
  const originConns = new Set<Socket>();
  const big = Buffer.alloc(4 * 1024 * 1024, 0x61);
  const origin = http.createServer((req, res) => {
    originSaw.push(req.url ?? '');
    originHeaders.push(req.rawHeaders);
    req.on('error', () => {});
    res.on('error', () => {});
    if (req.url === '/hang') {
      req.resume();
      return;
    }
    if (req.url === '/delay') {
      req.resume();
      const t = setTimeout(() => res.end('ok /delay'), 300);
      res.on('close', () => clearTimeout(t));
      return;
    }
    if (req.url === '/big') {
      req.resume();
      res.end(big);
      return;
    }
    if (req.url === '/slow-body') {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const chunk = Buffer.alloc(64 * 1024, 0x62);
      const t = setInterval(() => {
        if (res.destroyed) clearInterval(t);
        else res.write(chunk);
      }, 50);
      res.on('close', () => clearInterval(t));
      return;
    }
    req.resume();
    req.on('end', () => res.end(`ok ${req.url}`));
  });
  origin.on('connection', (s: Socket) => {
    originConns.add(s);
    s.once('close', () => originConns.delete(s));
  });
  origin.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
  const originPort = (origin.address() as AddressInfo).port;
  const app: ProxyHttp<undefined> = {
    newCtx: () => undefined,
    upstreamPeer: () => new HttpPeer(`127.0.0.1:${originPort}`, false, ''),
  };
  const serverConf = new ServerConf(conf);
  const service = httpProxyService(serverConf, app);
  service.addTls('127.0.0.1:0', TlsSettings.intermediate(pki.serverEcdsa.chain, pki.serverEcdsa.key));
  const server = new Server(serverConf);
  server.addService(service);
  await server.start();
  return {
    port: service.addresses()[0]!.port,
    service,
    server,
    origin,
    originSaw,
    originHeaders,
    originSockets: () => originConns.size,
    async stop() {
      await server.stop();
      origin.closeAllConnections();
      await new Promise<void>((resolve) => origin.close(() => resolve()));
    },
  };
}

export async function waitFor(pred: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (pred()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return pred();
}

/** A TLS connection offering http/1.1 only, for raw request bytes. */
export function rawTls(port: number): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ port, host: '127.0.0.1', servername: 'localhost', ALPNProtocols: ['http/1.1'], rejectUnauthorized: false });
    s.once('secureConnect', () => {
      s.removeListener('error', reject);
      s.on('error', () => {});
      resolve(s);
    });
    s.once('error', reject);
  });
}

export interface RawResult {
  /** The status of the first response, 0 when none came. */
  status: number;
  /** Everything received. */
  text: string;
  /** The server closed the connection within the wait. */
  closed: boolean;
}

/** Sends `bytes` on a fresh http/1.1 TLS connection and collects the answer until close or `ms`. */
export async function rawExchange(port: number, bytes: Buffer | string, ms = 3000): Promise<RawResult> {
  const s = await rawTls(port);
  const chunks: Buffer[] = [];
  s.on('data', (d: Buffer) => chunks.push(d));
  const closed = new Promise<boolean>((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    s.once('close', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
  s.write(bytes);
  const wasClosed = await closed;
  s.destroy();
  const text = Buffer.concat(chunks).toString('latin1');
  const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
  return { status: m ? Number(m[1]) : 0, text, closed: wasClosed };
}

/**
 * A light legitimate load running beside an attack: `loops` clients each sending requests one
 * after another on keep-alive connections (h1 and h2 alternately), counting outcomes.
 */
export class LegitLoad {
  ok = 0;
  failed = 0;
  readonly errors: string[] = [];
  private running = true;
  private readonly loops: Array<Promise<void>> = [];
  private readonly agent = new https.Agent({ keepAlive: true, maxSockets: 4, rejectUnauthorized: false });
  private h2: http2.ClientHttp2Session | undefined;

  constructor(private readonly port: number, loops = 2, private readonly pauseMs = 10) {
    for (let i = 0; i < loops; i++) this.loops.push(this.loop(i));
  }

  get total(): number {
    return this.ok + this.failed;
  }

  get successRate(): number {
    return this.total === 0 ? 0 : this.ok / this.total;
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    this.agent.destroy();
    this.h2?.close();
  }

  private async loop(i: number): Promise<void> {
    while (this.running) {
      try {
        const status = i % 2 === 0 ? await this.getH1() : await this.getH2();
        if (status === 200) this.ok++;
        else {
          this.failed++;
          this.errors.push(`status ${status}`);
        }
      } catch (e) {
        this.failed++;
        this.errors.push((e as Error).message);
      }
      await new Promise((r) => setTimeout(r, this.pauseMs));
    }
  }

  private getH1(): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = https.get({ host: '127.0.0.1', port: this.port, path: '/legit', agent: this.agent, servername: 'localhost', timeout: 10_000 }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error('legit h1 request timed out')));
      req.on('error', reject);
    });
  }

  private getH2(): Promise<number> {
    return new Promise((resolve, reject) => {
      if (!this.h2 || this.h2.closed || this.h2.destroyed) {
        this.h2 = http2.connect(`https://localhost:${this.port}`, { rejectUnauthorized: false });
        this.h2.on('error', () => {});
      }
      const req = this.h2.request({ ':path': '/legit' });
      let status = 0;
      const t = setTimeout(() => req.close(http2.constants.NGHTTP2_CANCEL), 10_000);
      req.on('response', (h) => {
        status = Number(h[':status']);
      });
      req.on('error', (e: Error) => {
        clearTimeout(t);
        reject(e);
      });
      req.resume();
      req.on('close', () => {
        clearTimeout(t);
        if (status) resolve(status);
        else reject(new Error(`legit h2 stream closed without a response (rst ${req.rstCode})`));
      });
    });
  }
}
