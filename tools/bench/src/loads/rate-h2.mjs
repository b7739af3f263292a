// One HTTP/2 connection over TLS (ALPN h2) for the rate client, speaking the frames itself
// (RFC 9113) rather than through node:http2, whose per-stream JS objects would cost the load
// core more than the subjects' own work at these rates. Requests are one fixed GET: a HEADERS
// frame with END_STREAM whose HPACK block (RFC 7541) uses static-table entries and one literal,
// so no encoder state is needed. Responses are read only as far as needed: END_STREAM on
// HEADERS/DATA ends a stream, and the first byte of the response header block gives the status
// when the server sends it as an indexed static entry (:status 200 is index 8, RFC 7541 App. A).
import tls from 'node:tls';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'); // RFC 9113 §3.4
const T = { DATA: 0, HEADERS: 1, RST_STREAM: 3, SETTINGS: 4, PING: 6, GOAWAY: 7, WINDOW_UPDATE: 8 };
const END_STREAM = 0x1;
const ACK = 0x1;
const END_HEADERS = 0x4;
const PADDED = 0x8;
const PRIORITY = 0x20;
const MAX_WINDOW = 2 ** 31 - 1;
// Static-table :status entries (RFC 7541 Appendix A), indexes 8..14.
const STATUS_BY_INDEX = { 8: 200, 9: 204, 10: 206, 11: 304, 12: 400, 13: 404, 14: 500 };

function frame(type, flags, stream, payload = Buffer.alloc(0)) {
  const h = Buffer.alloc(9 + payload.length);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream, 5);
  payload.copy(h, 9);
  return h;
}

function u32(n) {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/** The :status of a response header block, or undefined when it is not a plain static-table entry. */
function statusOf(block) {
  let i = 0;
  // skip dynamic table size updates (RFC 7541 §6.3: 001xxxxx, 5-bit prefix integer)
  while (i < block.length && (block[i] & 0xe0) === 0x20) {
    if ((block[i++] & 0x1f) === 0x1f) while (i < block.length && block[i++] & 0x80);
  }
  const b = block[i];
  if (b === undefined) return undefined;
  if (b & 0x80) return STATUS_BY_INDEX[b & 0x7f]; // indexed header field (§6.1)
  // literal with an indexed :status name (§6.2.1-6.2.3) and a non-Huffman value
  const idx = (b & 0xc0) === 0x40 ? b & 0x3f : (b & 0xe0) === 0 ? b & 0x0f : 0;
  if (idx < 8 || idx > 14) return undefined;
  const len = block[i + 1];
  if (len === undefined || len & 0x80) return undefined; // Huffman-coded: not decoded here
  return Number(block.toString('latin1', i + 2, i + 2 + len));
}

/**
 * Opens a connection; resolves after the server's SETTINGS (capacity = the smaller of the
 * server's SETTINGS_MAX_CONCURRENT_STREAMS and `maxStreams`).
 * `events.done(conn, req, ok, why)` fires per finished stream; `events.dead(conn, why)` once.
 */
export function connectH2({ port, host = '127.0.0.1', path = '/', maxStreams = 100, timeoutMs = 20_000 }, events) {
  const authority = Buffer.from(`localhost:${port}`);
  const pathLit = path === '/' ? Buffer.from([0x84]) : Buffer.concat([Buffer.from([0x04, path.length]), Buffer.from(path)]);
  // :method GET (idx 2), :scheme https (idx 7), :path, :authority as a literal without indexing (idx 1)
  const block = Buffer.concat([Buffer.from([0x82, 0x87]), pathLit, Buffer.from([0x01, authority.length]), authority]);
  const template = frame(T.HEADERS, END_STREAM | END_HEADERS, 1, block);
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host, port, servername: 'localhost', rejectUnauthorized: false, ALPNProtocols: ['h2'] });
    socket.setNoDelay(true);
    const streams = new Map(); // stream id -> { req, status }
    let nextId = 1;
    let unacked = 0; // DATA bytes received since the last connection WINDOW_UPDATE
    let settled = false;
    const conn = {
      capacity: maxStreams, // until the server's SETTINGS say otherwise
      inflight: 0,
      alive: false,
      socket,
      statusUnchecked: 0,
      send(req) {
        const id = nextId;
        nextId += 2;
        const f = Buffer.from(template);
        f.writeUInt32BE(id, 5);
        streams.set(id, { req, status: 0 });
        conn.inflight++;
        req.sentAt = performance.now();
        socket.write(f);
      },
      close() { socket.destroy(); },
      inFlight() { return [...streams.values()].map((s) => s.req); },
    };
    const timer = setTimeout(() => socket.destroy(new Error('connect timeout')), timeoutMs);
    socket.once('secureConnect', () => {
      if (socket.alpnProtocol !== 'h2') {
        socket.destroy();
        reject(new Error(`ALPN ${socket.alpnProtocol || 'none'}, expected h2`));
        return;
      }
      // SETTINGS_ENABLE_PUSH = 0; the connection receive window opened to the maximum (§6.9)
      const settings = Buffer.concat([Buffer.from([0, 2]), u32(0)]);
      socket.write(Buffer.concat([PREFACE, frame(T.SETTINGS, 0, 0, settings), frame(T.WINDOW_UPDATE, 0, 0, u32(MAX_WINDOW - 65535))]));
    });
    const finish = (id, ok, why) => {
      const s = streams.get(id);
      if (!s) return;
      streams.delete(id);
      conn.inflight--;
      events.done(conn, s.req, ok, why);
    };
    let buf = null;
    socket.on('data', (chunk) => {
      buf = buf ? Buffer.concat([buf, chunk]) : chunk;
      let off = 0;
      while (buf.length - off >= 9) {
        const len = buf.readUIntBE(off, 3);
        if (buf.length - off < 9 + len) break;
        const type = buf[off + 3];
        const flags = buf[off + 4];
        const id = buf.readUInt32BE(off + 5) & 0x7fffffff;
        const p = buf.subarray(off + 9, off + 9 + len);
        off += 9 + len;
        switch (type) {
          case T.DATA:
            unacked += len;
            if (unacked > 2 ** 30) {
              socket.write(frame(T.WINDOW_UPDATE, 0, 0, u32(unacked)));
              unacked = 0;
            }
            if (flags & END_STREAM) {
              const s = streams.get(id);
              if (s) finish(id, s.status >= 200 && s.status < 300, `status ${s.status}`);
            }
            break;
          case T.HEADERS: {
            const s = streams.get(id);
            if (!s) break;
            if (!s.status) {
              let q = 0;
              let end = p.length;
              if (flags & PADDED) { end -= p[0]; q = 1; }
              if (flags & PRIORITY) q += 5;
              const st = statusOf(p.subarray(q, end));
              if (st === undefined) { s.status = 200; conn.statusUnchecked++; } else s.status = st;
            }
            if (flags & END_STREAM) finish(id, s.status >= 200 && s.status < 300, `status ${s.status}`);
            break;
          }
          case T.RST_STREAM:
            finish(id, false, `RST_STREAM ${p.length >= 4 ? p.readUInt32BE(0) : '?'}`);
            break;
          case T.SETTINGS:
            if (flags & ACK) break;
            for (let i = 0; i + 6 <= p.length; i += 6) {
              // a change of the stream limit after the start is not followed (the rate client counts free slots)
              if (!settled && p.readUInt16BE(i) === 3) conn.capacity = Math.max(1, Math.min(maxStreams, p.readUInt32BE(i + 2)));
            }
            socket.write(frame(T.SETTINGS, ACK, 0));
            if (!settled) {
              settled = true;
              clearTimeout(timer);
              conn.alive = true;
              resolve(conn);
            }
            break;
          case T.PING:
            if (!(flags & ACK)) socket.write(frame(T.PING, ACK, 0, p));
            break;
          case T.GOAWAY:
            socket.destroy(new Error(`GOAWAY ${p.length >= 8 ? p.readUInt32BE(4) : '?'}`));
            return;
          default:
            break; // WINDOW_UPDATE, PRIORITY, CONTINUATION (none expected for these responses)
        }
      }
      buf = off === buf.length ? null : buf.subarray(off);
    });
    const fail = (why) => {
      clearTimeout(timer);
      if (!settled) { settled = true; reject(new Error(why)); return; }
      if (!conn.alive) return;
      conn.alive = false;
      for (const id of [...streams.keys()]) finish(id, false, why);
      events.dead(conn, why);
    };
    socket.on('error', (e) => fail(e.code ?? e.message));
    socket.on('close', () => fail('closed'));
  });
}
