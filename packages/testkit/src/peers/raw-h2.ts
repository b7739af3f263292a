import { connect as tlsConnect, type TLSSocket } from 'node:tls';

/**
 * A raw HTTP/2 frame writer for hostile-client tests: node:http2 (nghttp2) refuses to send
 * the malformed sequences an attacker sends, so these frames are built by hand (RFC 9113 §4.1:
 * 9-byte header, then the payload). Only what the tests need: no HPACK encoder beyond literal
 * fields without indexing (RFC 7541 §6.2.2), which any decoder must accept.
 */

/** RFC 9113 §6: frame types. */
export const H2FrameType = {
  DATA: 0x0,
  HEADERS: 0x1,
  PRIORITY: 0x2,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PUSH_PROMISE: 0x5,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
} as const;

export const H2Flag = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4, PADDED: 0x8, PRIORITY: 0x20 } as const;

/** RFC 9113 §3.4: the client connection preface. */
export const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export function h2Frame(type: number, flags: number, streamId: number, payload: Uint8Array = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId & 0x7fffffff, 5);
  return Buffer.concat([head, payload]);
}

/** An HPACK string literal without Huffman coding (RFC 7541 §5.2), lengths below 127 only. */
function hpackString(s: string): Buffer {
  const b = Buffer.from(s, 'latin1');
  if (b.length >= 127) {
    // §5.1 integer with a 7-bit prefix.
    const out: number[] = [0x7f];
    let rest = b.length - 127;
    while (rest >= 128) {
      out.push((rest & 0x7f) | 0x80);
      rest >>= 7;
    }
    out.push(rest);
    return Buffer.concat([Buffer.from(out), b]);
  }
  return Buffer.concat([Buffer.from([b.length]), b]);
}

/** A header block of literal fields without indexing, new names (RFC 7541 §6.2.2), in the order given. */
export function hpackBlock(fields: ReadonlyArray<readonly [string, string]>): Buffer {
  return Buffer.concat(fields.flatMap(([name, value]) => [Buffer.from([0x00]), hpackString(name), hpackString(value)]));
}

/** The request pseudo-headers of a GET (or another method) to `authority` + `path`. */
export function requestFields(authority: string, path = '/', method = 'GET', extra: ReadonlyArray<readonly [string, string]> = []): Array<[string, string]> {
  return [[':method', method], [':scheme', 'https'], [':authority', authority], [':path', path], ...extra.map(([n, v]) => [n, v] as [string, string])];
}

export function headersFrame(streamId: number, fields: ReadonlyArray<readonly [string, string]>, endStream = true): Buffer {
  return h2Frame(H2FrameType.HEADERS, H2Flag.END_HEADERS | (endStream ? H2Flag.END_STREAM : 0), streamId, hpackBlock(fields));
}

export function settingsFrame(settings: ReadonlyArray<readonly [number, number]> = [], ack = false): Buffer {
  const p = Buffer.alloc(settings.length * 6);
  settings.forEach(([id, value], i) => {
    p.writeUInt16BE(id, i * 6);
    p.writeUInt32BE(value, i * 6 + 2);
  });
  return h2Frame(H2FrameType.SETTINGS, ack ? H2Flag.ACK : 0, 0, p);
}

export function windowUpdateFrame(streamId: number, increment: number): Buffer {
  const p = Buffer.alloc(4);
  p.writeUInt32BE(increment & 0x7fffffff);
  return h2Frame(H2FrameType.WINDOW_UPDATE, 0, streamId, p);
}

export function rstStreamFrame(streamId: number, errorCode = 0x8 /* CANCEL */): Buffer {
  const p = Buffer.alloc(4);
  p.writeUInt32BE(errorCode);
  return h2Frame(H2FrameType.RST_STREAM, 0, streamId, p);
}

export function pingFrame(data = Buffer.alloc(8), ack = false): Buffer {
  return h2Frame(H2FrameType.PING, ack ? H2Flag.ACK : 0, 0, data);
}

export function dataFrame(streamId: number, data: Uint8Array, endStream = false): Buffer {
  return h2Frame(H2FrameType.DATA, endStream ? H2Flag.END_STREAM : 0, streamId, data);
}

export interface RawH2Frame {
  type: number;
  flags: number;
  streamId: number;
  payload: Buffer;
}

/** A TLS connection offering only "h2", speaking raw frames; parses what the server sends back. */
export class RawH2Client {
  readonly frames: RawH2Frame[] = [];
  private buf: Buffer = Buffer.alloc(0);
  private closedPromise: Promise<void>;
  closed = false;

  private constructor(readonly socket: TLSSocket) {
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', () => {});
    this.closedPromise = new Promise((resolve) => socket.once('close', () => {
      this.closed = true;
      resolve();
    }));
  }

  /** Connects with ALPN h2 (certificate checks off: hostile tests aim at the protocol, not PKI). */
  static connect(port: number, options: { host?: string; servername?: string; timeoutMs?: number } = {}): Promise<RawH2Client> {
    return new Promise((resolve, reject) => {
      const socket = tlsConnect({
        port, host: options.host ?? '127.0.0.1', servername: options.servername ?? 'localhost',
        ALPNProtocols: ['h2'], rejectUnauthorized: false,
      });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error('raw h2 client: no handshake in time'));
      }, options.timeoutMs ?? 5000);
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        if (socket.alpnProtocol !== 'h2') {
          socket.destroy();
          reject(new Error(`raw h2 client: ALPN chose ${String(socket.alpnProtocol)}`));
          return;
        }
        resolve(new RawH2Client(socket));
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  /** Writes the preface and an empty SETTINGS, followed by `frames`, all in one write. */
  open(...frames: Buffer[]): void {
    this.socket.write(Buffer.concat([H2_PREFACE, settingsFrame(), ...frames]));
  }

  send(...frames: Buffer[]): void {
    if (!this.socket.destroyed) this.socket.write(Buffer.concat(frames));
  }

  /** Resolves when the server has closed the connection, or false after `ms`. */
  async waitClosed(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    });
    const r = await Promise.race([this.closedPromise.then(() => true), timeout]);
    clearTimeout(timer);
    return r;
  }

  /** Resolves with the first frame matching `pred` (received so far or later), or undefined after `ms`. */
  async waitFrame(pred: (f: RawH2Frame) => boolean, ms: number): Promise<RawH2Frame | undefined> {
    const deadline = Date.now() + ms;
    for (;;) {
      const f = this.frames.find(pred);
      if (f || this.closed || Date.now() >= deadline) return f;
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** The GOAWAY the server sent: its error code (RFC 9113 §7), or undefined. */
  goawayCode(): number | undefined {
    const g = this.frames.find((f) => f.type === H2FrameType.GOAWAY);
    return g ? g.payload.readUInt32BE(4) : undefined;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    while (this.buf.length >= 9) {
      const len = this.buf.readUIntBE(0, 3);
      if (this.buf.length < 9 + len) break;
      this.frames.push({
        type: this.buf[3]!, flags: this.buf[4]!, streamId: this.buf.readUInt32BE(5) & 0x7fffffff,
        payload: this.buf.subarray(9, 9 + len),
      });
      this.buf = this.buf.subarray(9 + len);
    }
  }
}
