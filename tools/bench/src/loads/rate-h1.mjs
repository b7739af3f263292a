// One HTTP/1.1 keep-alive connection over TLS for the rate client: one request at a time (no
// pipelining), a fixed GET, and just enough response parsing to find where a response ends
// (Content-Length or chunked) and whether its status is 2xx.
import tls from 'node:tls';

const CRLF2 = Buffer.from('\r\n\r\n');
const LAST_CHUNK = Buffer.from('0\r\n\r\n');

/**
 * Opens a connection; resolves once TLS is up with ALPN http/1.1.
 * `events.done(conn, req, ok, why)` fires when a request's response has ended (or failed);
 * `events.dead(conn, why)` once when the connection closes or errors.
 */
export function connectH1({ port, host = '127.0.0.1', path = '/', timeoutMs = 20_000 }, events) {
  const request = Buffer.from(`GET ${path} HTTP/1.1\r\nHost: localhost:${port}\r\nUser-Agent: proxy-bench-rate\r\n\r\n`);
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host, port, servername: 'localhost', rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] });
    socket.setNoDelay(true);
    const conn = {
      capacity: 1,
      inflight: 0,
      alive: false,
      socket,
      current: undefined,
      send(req) {
        conn.current = req;
        conn.inflight = 1;
        req.sentAt = performance.now();
        socket.write(request);
      },
      close() { socket.destroy(); },
      inFlight() { return conn.current ? [conn.current] : []; },
    };
    let buf = null;
    let headerEnd = -1;
    let bodyEnd = -1; // absolute offset of the response end, or -2 for chunked
    let status = 0;
    const reset = () => { buf = null; headerEnd = -1; bodyEnd = -1; status = 0; };
    const timer = setTimeout(() => { socket.destroy(new Error('connect timeout')); }, timeoutMs);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      if (socket.alpnProtocol && socket.alpnProtocol !== 'http/1.1') {
        socket.destroy();
        reject(new Error(`ALPN ${socket.alpnProtocol}`));
        return;
      }
      conn.alive = true;
      resolve(conn);
    });
    socket.on('data', (chunk) => {
      buf = buf ? Buffer.concat([buf, chunk]) : chunk;
      for (;;) {
        if (headerEnd < 0) {
          const i = buf.indexOf(CRLF2);
          if (i < 0) return;
          headerEnd = i + 4;
          const head = buf.toString('latin1', 0, i);
          status = Number(head.slice(9, 12));
          const cl = /\r\ncontent-length:[ \t]*(\d+)/i.exec(head);
          if (cl) bodyEnd = headerEnd + Number(cl[1]);
          else if (/\r\ntransfer-encoding:[ \t]*chunked/i.test(head)) bodyEnd = -2;
          else if (status === 204 || status === 304) bodyEnd = headerEnd;
          else { socket.destroy(new Error(`response without a length (status ${status})`)); return; }
        }
        let end;
        if (bodyEnd === -2) {
          // the last chunk ("0\r\n\r\n", no trailers from these subjects) right at the body start or after a chunk's CRLF
          const j = buf.indexOf(LAST_CHUNK, headerEnd);
          if (j < 0 || (j !== headerEnd && buf[j - 1] !== 0x0a)) return;
          end = j + LAST_CHUNK.length;
        } else {
          if (buf.length < bodyEnd) return;
          end = bodyEnd;
        }
        const req = conn.current;
        const ok = status >= 200 && status < 300;
        const why = ok ? undefined : `status ${status}`;
        const rest = end < buf.length ? buf.subarray(end) : null;
        reset();
        conn.current = undefined;
        conn.inflight = 0;
        if (req) events.done(conn, req, ok, why);
        else { socket.destroy(new Error('response without a request')); return; }
        if (!rest) return;
        buf = rest;
      }
    });
    const fail = (why) => {
      clearTimeout(timer);
      if (!conn.alive) { reject(new Error(why)); return; }
      conn.alive = false;
      const req = conn.current;
      conn.current = undefined;
      conn.inflight = 0;
      if (req) events.done(conn, req, false, why);
      events.dead(conn, why);
    };
    socket.on('error', (e) => fail(e.code ?? e.message));
    socket.on('close', () => fail('closed'));
  });
}
