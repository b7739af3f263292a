import type { Duplex } from 'node:stream';
import { Service, TlsSettings, type DownstreamConnection, type ServiceApp } from '@proxy/core';
import { afterAll, expect } from 'vitest';
import { opensslClient } from '../peers/openssl-cli.js';
import { tcpConnect, type SuiteContext } from './context.js';

/** A ServiceApp that records each connection and echoes, so the case sees what the listener passed on. */
class RecordingApp implements ServiceApp {
  readonly connections: DownstreamConnection[] = [];
  handleConnection(stream: Duplex, conn: DownstreamConnection): void {
    this.connections.push(conn);
    stream.on('error', () => {});
    stream.pipe(stream);
  }
  async shutdown(): Promise<void> {}
}

/**
 * core's Service with the backend behind it: a refused peer gets its connection closed before
 * any TLS byte; an accepted one handshakes and the app sees what the filter stamped; a slow
 * filter does not hold up other connections.
 */
export function connectionFilterCases(ctx: SuiteContext): void {
  ctx.area('connection-filter', 'server: connection filter before TLS (core Service)', () => {
    const app = new RecordingApp();
    /** Delay for the next connection the filter sees (consumed by it). */
    let delayNext = 0;
    let service: Service;
    let port: number;
    let refuse = false;
    ctx.beforeAll(async () => {
      const { serverEcdsa: c } = ctx.pki();
      service = new Service('conformance', app).addTls('127.0.0.1:0', TlsSettings.intermediate(c.chain, c.key));
      service.setConnectionFilter({
        filter: async (peer, fctx) => {
          const delay = delayNext;
          delayNext = 0;
          if (delay) await new Promise((r) => setTimeout(r, delay));
          fctx.state['stampedBy'] = 'conformance-filter';
          fctx.state['peerPort'] = peer.port;
          return !refuse;
        },
      });
      port = (await service.start())[0]!.port;
    });
    afterAll(() => service?.stop(100));

    ctx.test('filter returns false: closed without a single TLS byte', async () => {
      refuse = true;
      try {
        const socket = await tcpConnect(port);
        const received = await new Promise<number>((resolve) => {
          let n = 0;
          socket.on('data', (b: Buffer) => (n += b.length));
          socket.on('error', () => {});
          socket.once('close', () => resolve(n));
          // A ClientHello-looking start: the filter must have decided before any of it matters.
          socket.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05]));
          setTimeout(() => {
            socket.destroy();
            resolve(-1);
          }, ctx.ms(2000));
        });
        expect(received, 'bytes received before close (-1: never closed)').toBe(0);
        const r = await opensslClient({ port, servername: 'localhost', timeoutMs: ctx.ms(5000) });
        expect(r.code).not.toBe(0);
      } finally {
        refuse = false;
      }
    });

    ctx.test('filter returns true: the handshake runs and the app sees the stamped state and the digest', async () => {
      const before = app.connections.length;
      const r = await opensslClient({ port, servername: 'test.local', caFile: ctx.pki().caFile, timeoutMs: ctx.ms(5000) });
      expect(r.code, r.output).toBe(0);
      const deadline = Date.now() + ctx.ms(2000);
      while (app.connections.length <= before && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
      const conn = app.connections[before];
      expect(conn?.info.state['stampedBy']).toBe('conformance-filter');
      expect(conn?.digest?.backend).toBe(ctx.opts.expectedBackend);
      expect(conn?.digest?.sni).toBe('test.local');
    });

    ctx.test('a slow filter (1.5 s) for one connection does not stall another', async () => {
      delayNext = 1500;
      const slow = await tcpConnect(port);
      slow.on('error', () => {});
      await new Promise((r) => setTimeout(r, 50));
      expect(delayNext, 'the slow connection reached the filter').toBe(0);
      try {
        const started = Date.now();
        const r = await opensslClient({ port, servername: 'localhost', timeoutMs: ctx.ms(5000) });
        expect(r.code, r.output).toBe(0);
        expect(Date.now() - started).toBeLessThan(ctx.ms(1200));
      } finally {
        slow.destroy();
      }
    });
  });
}
