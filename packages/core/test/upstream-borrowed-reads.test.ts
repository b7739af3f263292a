// Plain-TCP HTTP/1.1 upstream connections made by the Connector read into one shared buffer.
// A sink that does not declare takesBorrowedChunks must still get chunks it may keep; a sink that
// does gets views flagged `borrowed`; bytes kept while paused or in a partial head are copies.
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connector, H1Connection, HttpPeer, type H1ResponseSink } from '../src/index.js';

const BODY = randomBytes(2 * 1024 * 1024 + 99);
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

let server: net.Server;
let port = 0;
const sockets = new Set<net.Socket>();

beforeAll(async () => {
  // Each request gets its head in two writes (a partial head first), then BODY in varied pieces.
  server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('data', () => {
      void (async () => {
        s.write(`HTTP/1.1 200 OK\r\nContent-Le`);
        await new Promise((r) => setTimeout(r, 5));
        s.write(`ngth: ${BODY.length}\r\n\r\n`);
        let off = 0;
        let i = 0;
        while (off < BODY.length) {
          const n = Math.min(BODY.length - off, [3, 65_536, 1_000, 300_000][i++ % 4]!);
          if (!s.write(BODY.subarray(off, off + n))) await new Promise((r) => s.once('drain', r));
          off += n;
        }
      })();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((r) => server.close(() => r()));
});

/**
 * One exchange whose sink keeps every chunk as given (no copy). `borrowing`: it declares
 * takesBorrowedChunks and copies only the borrowed ones, as the rule says. `pauses`: it pauses
 * the connection now and then, so bytes get stashed.
 */
function fetchBody(conn: H1Connection, opts: { borrowing: boolean; pauses: boolean }): Promise<{ body: Buffer; borrowed: number }> {
  return new Promise((resolve, reject) => {
    const kept: Buffer[] = [];
    let borrowed = 0;
    let n = 0;
    const keep = (c: Buffer, b: boolean | undefined): void => {
      if (b === true) borrowed++;
      kept.push(b === true ? Buffer.from(c) : c);
      if (opts.pauses && ++n % 5 === 0) {
        conn.pause();
        setTimeout(() => conn.resume(), 1);
      }
    };
    const sink: H1ResponseSink = {
      takesBorrowedChunks: opts.borrowing,
      onUpstreamHead() {},
      onUpstreamBody: keep,
      onUpstreamEnd(last, b) {
        if (last) keep(last, b);
        resolve({ body: Buffer.concat(kept), borrowed });
      },
      onUpstreamError: reject,
    };
    conn.send('GET / HTTP/1.1\r\nHost: x\r\n\r\n', sink, false, false, undefined);
  });
}

describe('borrowed reads on plain-TCP upstream connections', () => {
  it('sinks that keep chunks get intact bodies, borrowing or not, paused or not, all at once', async () => {
    const connector = new Connector({ poolSize: 8 });
    const peer = new HttpPeer(`127.0.0.1:${port}`, false, '');
    const modes = [
      { borrowing: false, pauses: false },
      { borrowing: false, pauses: true },
      { borrowing: true, pauses: false },
      { borrowing: true, pauses: true },
    ];
    const conns = await Promise.all(modes.map(() => connector.acquire(peer) as Promise<H1Connection>));
    const results = await Promise.all(conns.map((c, i) => fetchBody(c, modes[i]!)));
    for (const [i, r] of results.entries()) {
      expect(r.body.length, `mode ${i}`).toBe(BODY.length);
      expect(sha(r.body), `mode ${i}`).toBe(sha(BODY));
      // Only a sink that asked for them is given borrowed chunks.
      if (modes[i]!.borrowing) expect(r.borrowed).toBeGreaterThan(0);
      else expect(r.borrowed).toBe(0);
    }
    for (const c of conns) c.destroy();
    connector.close();
  }, 30_000);
});
