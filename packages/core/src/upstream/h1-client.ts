import type { Duplex } from 'node:stream';
import { ConnectionClosedError, HttpProtocolError, ProxyError, TimeoutError } from '../errors/index.js';
import { HeaderMap } from '../http/header-map.js';
import { ResponseHead } from '../http/messages.js';
import type { SslDigest } from '../tls/digest.js';
import { isHopByHop, mayNeedAttention, removeConnectionListed } from '../proxy/forwarding-headers.js';

/** Receives one upstream response. Calls arrive in order: head, body*, end | error (exactly one of the last two). */
export interface H1ResponseSink {
  /**
   * true: this sink takes borrowed chunks. A chunk passed with `borrowed` set is a view of a
   * read buffer that the connection reuses as soon as the call returns, so the sink must have
   * consumed the bytes (e.g. handed them to a TLS stream that encrypts them at once) or copied
   * them by then. Sinks without it are only ever given chunks they may keep (copies, when the
   * connection reads into a reused buffer).
   */
  readonly takesBorrowedChunks?: boolean;
  /** `endStream`: the response has no body (HEAD, 204, 304, Content-Length: 0). */
  onUpstreamHead(head: ResponseHead, endStream: boolean): void;
  onUpstreamBody(chunk: Buffer, borrowed?: boolean): void;
  /** The response is complete; `last` is its final body bytes when they came with the completing read. */
  onUpstreamEnd(last: Buffer | undefined, borrowed?: boolean): void;
  onUpstreamError(err: ProxyError): void;
}

const enum BodyKind { None, Length, Chunked, UntilClose }
const enum ChunkState { Size, Data, DataCr, DataLf, Trailer }

const CRLFCRLF = Buffer.from('\r\n\r\n');
const MAX_HEAD_BYTES = 64 * 1024;
const MAX_CHUNK_LINE = 4096;
const HEX = /^[0-9a-fA-F]{1,15}$/;

/**
 * One upstream HTTP/1.1 connection over any Duplex (a socket or a TLS stream) with its own
 * response parser. Written for the proxy's hot path instead of http.Agent/ClientRequest: the
 * request head goes out as one string write, listeners are attached once per connection (not
 * per request), and the response is parsed in place with slices of the received buffers.
 * While idle in the pool, any byte, end or close from the upstream marks it unusable.
 */
export class H1Connection {
  readonly protocol = 'h1' as const;
  /** Requests sent on this connection, including the current one. */
  uses = 0;
  /** Set by the pool while idle; called when the upstream closes or misbehaves. */
  onIdleLoss: ((conn: H1Connection) => void) | undefined;
  /** Pool bookkeeping. */
  idleTimer: NodeJS.Timeout | undefined;
  idleSince = 0;

  private sink: H1ResponseSink | undefined;
  private dead = false;
  private paused = false;
  /** A body-less response whose completion waits for resume(). */
  private completePending = false;
  private stash: Buffer | undefined;
  // response parser state
  private headBuf: Buffer | undefined;
  private headDone = false;
  private bodyKind = BodyKind.None;
  private remaining = 0;
  private chunkState = ChunkState.Size;
  private line = '';
  private noBodyExpected = false;
  private keepAlive = true;
  // A fresh connection counts as a finished exchange, so an unused one can be parked.
  private requestDone = true;
  private responseDone = true;
  private receivedAny = false;
  private readTimer: NodeJS.Timeout | undefined;
  private readTimeoutMs = 0;
  /** The chunk being parsed is a view of the reused read buffer (valid only until the read callback returns). */
  private borrowing = false;

  /**
   * `borrowedReads`: the stream is a net.Socket created with `onread: { buffer, callback }`
   * whose callback calls `onBorrowedRead` (the Connector shares one buffer per thread); no 'data'
   * events come then. Anything kept past the callback (a stash while paused, a partial head) is copied.
   */
  constructor(
    readonly stream: Duplex,
    /** The pool key of the peer this connection was made for. */
    readonly key: string,
    /** The upstream TLS digest; undefined on plain TCP. */
    readonly digest: SslDigest | undefined,
    /** "host:port", for messages. */
    readonly addr: string,
    borrowedReads = false,
  ) {
    if (!borrowedReads) stream.on('data', this.onData);
    stream.on('end', this.onEnd);
    stream.on('close', this.onClose);
    stream.on('error', this.onError);
  }

  get closed(): boolean {
    return this.dead;
  }

  /** True when the last exchange left the connection clean for another request. */
  get reusable(): boolean {
    return !this.dead && this.keepAlive && this.requestDone && this.responseDone && this.sink === undefined && !this.paused;
  }

  /** Whether any byte of the current response has arrived (a failure before that may be retried on a reused connection). */
  get responseStarted(): boolean {
    return this.receivedAny;
  }

  /**
   * Starts an exchange: writes the serialized request head. `hasBody`: the caller streams the
   * body with writeBody/endBody; otherwise the request is complete now.
   */
  send(head: string, sink: H1ResponseSink, isHeadRequest: boolean, hasBody: boolean, readTimeoutMs: number | undefined): void {
    this.uses++;
    if (this.dead) {
      // Closed after it was handed out (a write now would vanish without an error event).
      const err = new ConnectionClosedError(`upstream ${this.addr} connection closed before the request was sent`, 'upstream', { retryable: true });
      process.nextTick(() => sink.onUpstreamError(err));
      return;
    }
    this.sink = sink;
    this.headBuf = undefined;
    this.headDone = false;
    this.bodyKind = BodyKind.None;
    this.remaining = 0;
    this.chunkState = ChunkState.Size;
    this.line = '';
    this.noBodyExpected = isHeadRequest;
    this.keepAlive = true;
    this.requestDone = !hasBody;
    this.responseDone = false;
    this.receivedAny = false;
    this.completePending = false;
    if (readTimeoutMs) {
      this.readTimeoutMs = readTimeoutMs;
      if (this.readTimer) this.readTimer.refresh();
      else this.readTimer = setTimeout(this.onReadTimeout, readTimeoutMs);
    }
    this.stream.write(head, 'latin1');
  }

  /** Request body bytes; false: wait for the stream's 'drain'. */
  writeBody(chunk: Buffer, chunked: boolean): boolean {
    if (chunked) {
      if (chunk.length === 0) return true;
      this.stream.write(chunk.length.toString(16) + '\r\n', 'latin1');
      this.stream.write(chunk);
      return this.stream.write('\r\n', 'latin1');
    }
    return this.stream.write(chunk);
  }

  endBody(chunked: boolean): void {
    if (chunked) this.stream.write('0\r\n\r\n', 'latin1');
    this.requestDone = true;
  }

  /** The request body could not be sent completely: the connection cannot carry another request. */
  abandonBody(): void {
    this.keepAlive = false;
  }

  /** Stops delivering response data (downstream backpressure or an async filter). */
  pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.stream.pause();
  }

  resume(): void {
    if (!this.paused || this.dead) return;
    this.paused = false;
    if (this.completePending) {
      this.completePending = false;
      if (this.sink) this.complete(undefined);
      if (!this.dead) this.stream.resume();
      return;
    }
    const pending = this.stash;
    this.stash = undefined;
    // The stash is our own copy: parsed with borrowing off, whatever read callback we are in.
    const borrowing = this.borrowing;
    this.borrowing = false;
    try {
      if (pending) this.parse(pending);
    } finally {
      this.borrowing = borrowing;
    }
    if (!this.paused && !this.dead) this.stream.resume();
  }

  /** Closes the connection now; a pending exchange is not notified. */
  destroy(): void {
    if (this.dead) return;
    this.dead = true;
    this.sink = undefined;
    this.clearReadTimer();
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.stream.destroy();
  }

  /**
   * net's `onread` callback for a socket reading into `buf` (the shared read buffer): the first
   * `nread` bytes are this read's. Returns false to stop reading (paused, or closed).
   */
  onBorrowedRead(nread: number, buf: Buffer): boolean {
    if (this.dead) return false;
    this.borrowing = true;
    try {
      this.onData(buf.subarray(0, nread));
    } finally {
      this.borrowing = false;
    }
    return !this.paused && !this.dead;
  }

  /** `chunk` itself, or a copy of it when it is borrowed (to keep it past the read callback). */
  private owned(chunk: Buffer): Buffer {
    return this.borrowing ? Buffer.from(chunk) : chunk;
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.sink === undefined) {
      // Bytes while idle: the upstream is not following HTTP/1.1 keep-alive; never reuse.
      this.lose();
      return;
    }
    this.receivedAny = true;
    if (this.readTimer) this.readTimer.refresh();
    if (this.paused) {
      this.stash = this.stash ? Buffer.concat([this.stash, chunk]) : this.owned(chunk);
      return;
    }
    this.parse(chunk);
  };

  /** Hands body bytes to the sink: borrowed only to a sink that takes them, else as a copy. */
  private deliver(sink: H1ResponseSink, chunk: Buffer): void {
    if (!this.borrowing) sink.onUpstreamBody(chunk);
    else if (sink.takesBorrowedChunks === true) sink.onUpstreamBody(chunk, true);
    else sink.onUpstreamBody(Buffer.from(chunk));
  }

  private readonly onEnd = (): void => {
    const sink = this.sink;
    if (sink && this.headDone && this.bodyKind === BodyKind.UntilClose && !this.paused) {
      this.keepAlive = false;
      this.complete(undefined);
      return;
    }
    this.fail(new ConnectionClosedError(
      `upstream ${this.addr} closed the connection before the response ${this.headDone ? 'body ended' : 'head arrived'}`,
      'upstream',
      { retryable: !this.receivedAny && this.uses > 1 },
    ));
  };

  private readonly onClose = (): void => {
    if (this.sink && this.headDone && this.bodyKind === BodyKind.UntilClose && this.stash === undefined) {
      this.keepAlive = false;
      this.complete(undefined);
    } else {
      this.fail(new ConnectionClosedError(`upstream ${this.addr} connection closed`, 'upstream', {
        retryable: !this.receivedAny && this.uses > 1,
      }));
    }
    this.dead = true;
    this.clearReadTimer();
    if (this.idleTimer) clearTimeout(this.idleTimer);
  };

  private readonly onError = (err: Error): void => {
    this.fail(err instanceof ProxyError ? err : new ConnectionClosedError(
      `upstream ${this.addr} connection error: ${err.message}`,
      'upstream',
      { cause: err, retryable: !this.receivedAny && this.uses > 1 },
    ));
  };

  private readonly onReadTimeout = (): void => {
    this.readTimer = undefined;
    if (!this.sink || this.paused) return;
    this.fail(new TimeoutError('read', this.readTimeoutMs, 'upstream'));
  };

  private clearReadTimer(): void {
    if (this.readTimer) {
      clearTimeout(this.readTimer);
      this.readTimer = undefined;
    }
  }

  /** Idle connection lost (bytes, end, close): tell the pool, then close. */
  private lose(): void {
    const cb = this.onIdleLoss;
    this.onIdleLoss = undefined;
    this.destroy();
    cb?.(this);
  }

  private fail(err: ProxyError): void {
    const sink = this.sink;
    if (!sink) {
      if (!this.dead) this.lose();
      else this.onIdleLoss?.(this);
      return;
    }
    this.destroy();
    sink.onUpstreamError(err);
  }

  private complete(last: Buffer | undefined): void {
    const sink = this.sink!;
    this.responseDone = true;
    this.sink = undefined;
    this.clearReadTimer();
    if (!this.requestDone) this.keepAlive = false;
    if (last === undefined || !this.borrowing) sink.onUpstreamEnd(last);
    else if (sink.takesBorrowedChunks === true) sink.onUpstreamEnd(last, true);
    else sink.onUpstreamEnd(Buffer.from(last));
  }

  private parse(chunk: Buffer): void {
    if (!this.headDone) {
      const rest = this.parseHead(chunk);
      if (rest === undefined || this.sink === undefined) return;
      chunk = rest;
      if (this.paused) {
        if (chunk.length) this.stash = this.owned(chunk);
        return;
      }
      if (chunk.length === 0) return;
    }
    switch (this.bodyKind) {
      case BodyKind.Length: {
        const n = chunk.length;
        if (n < this.remaining) {
          this.remaining -= n;
          this.deliver(this.sink!, chunk);
          return;
        }
        const last = n === this.remaining ? chunk : chunk.subarray(0, this.remaining);
        // Bytes beyond the declared length: the upstream is out of step; do not reuse.
        if (n > this.remaining) this.keepAlive = false;
        this.remaining = 0;
        this.complete(last);
        return;
      }
      case BodyKind.Chunked:
        this.parseChunked(chunk);
        return;
      case BodyKind.UntilClose:
        this.deliver(this.sink!, chunk);
        return;
      case BodyKind.None:
        // Bytes after a complete body-less response.
        this.keepAlive = false;
        return;
    }
  }

  /** Returns the bytes after the head, or undefined when more bytes are needed (or it failed). */
  private parseHead(chunk: Buffer): Buffer | undefined {
    // A concatenation is our own memory; `chunk` itself (and views of it) may be borrowed.
    const prev = this.headBuf;
    const ownBuf = prev !== undefined;
    let buf = prev ? Buffer.concat([prev, chunk]) : chunk;
    for (;;) {
      const end = buf.indexOf(CRLFCRLF);
      if (end < 0) {
        if (buf.length > MAX_HEAD_BYTES) {
          this.fail(new HttpProtocolError(`upstream ${this.addr} response head exceeds ${MAX_HEAD_BYTES} bytes`, 'upstream'));
          return undefined;
        }
        this.headBuf = ownBuf ? buf : this.owned(buf);
        return undefined;
      }
      const text = buf.toString('latin1', 0, end);
      const rest = buf.subarray(end + 4);
      const head = this.parseHeadText(text);
      if (head === undefined) return undefined;
      if (head.status < 200) {
        // Interim responses (100 Continue, 103 Early Hints) are not forwarded; 101 never happens
        // because Upgrade is a hop-by-hop field we strip.
        if (head.status === 101) {
          this.fail(new HttpProtocolError(`upstream ${this.addr} switched protocols unasked`, 'upstream'));
          return undefined;
        }
        buf = rest;
        if (buf.length === 0) {
          this.headBuf = undefined;
          return undefined;
        }
        continue;
      }
      this.headBuf = undefined;
      this.headDone = true;
      const endStream = this.bodyKind === BodyKind.None;
      this.sink!.onUpstreamHead(head, endStream);
      if (endStream && this.sink) {
        if (rest.length) this.keepAlive = false;
        if (this.paused) {
          // Completion waits for resume: the sink is still processing the head.
          this.completePending = true;
          return undefined;
        }
        this.complete(undefined);
        return undefined;
      }
      return rest;
    }
  }

  private parseHeadText(text: string): ResponseHead | undefined {
    const lines = text.split('\r\n');
    const statusLine = lines[0]!;
    if (!statusLine.startsWith('HTTP/1.') || statusLine.length < 12 || statusLine.charCodeAt(12) > 32 && statusLine.length > 12) {
      this.fail(new HttpProtocolError(`upstream ${this.addr} sent an invalid status line: ${JSON.stringify(statusLine.slice(0, 80))}`, 'upstream'));
      return undefined;
    }
    const http10 = statusLine.charCodeAt(7) === 48; /* '0' */
    const status = Number(statusLine.slice(9, 12));
    if (!(status >= 100 && status <= 999)) {
      this.fail(new HttpProtocolError(`upstream ${this.addr} sent an invalid status code: ${JSON.stringify(statusLine.slice(0, 80))}`, 'upstream'));
      return undefined;
    }
    const reason = statusLine.length > 13 ? statusLine.slice(13) : '';
    const raw: string[] = [];
    let contentLength = -1;
    let chunked = false;
    let hasTransferEncoding = false;
    let connectionTokens: string | undefined;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(':');
      const c0 = line.charCodeAt(0);
      if (colon <= 0 || c0 === 32 || c0 === 9 || line.charCodeAt(colon - 1) === 32) {
        this.fail(new HttpProtocolError(`upstream ${this.addr} sent an invalid header line: ${JSON.stringify(line.slice(0, 80))}`, 'upstream'));
        return undefined;
      }
      const name = line.slice(0, colon);
      const value = line.slice(colon + 1).trim();
      if (!mayNeedAttention(name)) {
        raw.push(name, value);
        continue;
      }
      const lower = name.toLowerCase();
      if (lower === 'content-length') {
        const n = Number(value);
        if (!/^\d+$/.test(value) || (contentLength >= 0 && n !== contentLength)) {
          this.fail(new HttpProtocolError(`upstream ${this.addr} sent an invalid Content-Length: ${JSON.stringify(value)}`, 'upstream'));
          return undefined;
        }
        if (contentLength >= 0) continue; // identical duplicate: forward once
        contentLength = n;
      } else if (isHopByHop(lower)) {
        if (lower === 'transfer-encoding') {
          hasTransferEncoding = true;
          chunked = /(?:^|,)\s*chunked\s*$/i.test(value);
        } else if (lower === 'connection') {
          connectionTokens = connectionTokens === undefined ? value : `${connectionTokens},${value}`;
        }
        continue;
      }
      raw.push(name, value);
    }
    const headers = new HeaderMap(raw);
    if (connectionTokens !== undefined) {
      const tokens = connectionTokens.toLowerCase();
      if (/(?:^|,)\s*close\s*(?:,|$)/.test(tokens)) this.keepAlive = false;
      else if (http10 && !/(?:^|,)\s*keep-alive\s*(?:,|$)/.test(tokens)) this.keepAlive = false;
      removeConnectionListed(headers, tokens, CONNECTION_OPTIONS);
    } else if (http10) {
      this.keepAlive = false;
    }
    if (status < 200) return new ResponseHead(status, headers, reason);
    if (this.noBodyExpected || status === 204 || status === 304) {
      this.bodyKind = BodyKind.None;
    } else if (hasTransferEncoding) {
      // RFC 9112 6.3: Transfer-Encoding wins over Content-Length; not ending in chunked means read until close.
      if (contentLength >= 0) headers.remove('content-length');
      if (chunked) {
        this.bodyKind = BodyKind.Chunked;
      } else {
        this.bodyKind = BodyKind.UntilClose;
        this.keepAlive = false;
      }
    } else if (contentLength >= 0) {
      this.bodyKind = contentLength === 0 ? BodyKind.None : BodyKind.Length;
      this.remaining = contentLength;
    } else {
      this.bodyKind = BodyKind.UntilClose;
      this.keepAlive = false;
    }
    return new ResponseHead(status, headers, reason);
  }

  private parseChunked(chunk: Buffer): void {
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      switch (this.chunkState) {
        case ChunkState.Size: {
          const nl = chunk.indexOf(10, i);
          if (nl < 0) {
            this.line += chunk.toString('latin1', i, n);
            if (this.line.length > MAX_CHUNK_LINE) return this.chunkError('chunk size line too long');
            return;
          }
          let line = this.line + chunk.toString('latin1', i, nl);
          this.line = '';
          i = nl + 1;
          const semi = line.indexOf(';');
          if (semi >= 0) line = line.slice(0, semi);
          line = line.trim();
          if (!HEX.test(line)) return this.chunkError(`invalid chunk size ${JSON.stringify(line.slice(0, 20))}`);
          const size = parseInt(line, 16);
          if (size === 0) {
            this.chunkState = ChunkState.Trailer;
          } else {
            this.remaining = size;
            this.chunkState = ChunkState.Data;
          }
          break;
        }
        case ChunkState.Data: {
          const take = Math.min(this.remaining, n - i);
          const piece = take === n ? chunk : chunk.subarray(i, i + take);
          i += take;
          this.remaining -= take;
          if (this.remaining === 0) this.chunkState = ChunkState.DataCr;
          this.deliver(this.sink!, piece);
          if (this.sink === undefined) return;
          if (this.paused) {
            if (i < n) this.stash = this.owned(chunk.subarray(i));
            return;
          }
          break;
        }
        case ChunkState.DataCr:
          if (chunk[i] === 13) {
            i++;
            this.chunkState = ChunkState.DataLf;
            break;
          }
          // Tolerate a bare LF, as llhttp does in lenient mode.
          if (chunk[i] !== 10) return this.chunkError('missing CRLF after chunk data');
          this.chunkState = ChunkState.DataLf;
          break;
        case ChunkState.DataLf:
          if (chunk[i] !== 10) return this.chunkError('missing LF after chunk data');
          i++;
          this.chunkState = ChunkState.Size;
          break;
        case ChunkState.Trailer: {
          // Trailer fields are read and dropped; the body ends at the empty line.
          const nl = chunk.indexOf(10, i);
          if (nl < 0) {
            this.line += chunk.toString('latin1', i, n);
            if (this.line.length > MAX_HEAD_BYTES) return this.chunkError('trailer section too long');
            return;
          }
          const line = this.line + chunk.toString('latin1', i, nl);
          this.line = '';
          i = nl + 1;
          if (line === '' || line === '\r') {
            if (i < n) this.keepAlive = false;
            this.complete(undefined);
            return;
          }
          break;
        }
      }
    }
  }

  private chunkError(why: string): void {
    this.fail(new HttpProtocolError(`upstream ${this.addr} sent a bad chunked body: ${why}`, 'upstream'));
  }
}

/** Connection options that are not field names. */
const CONNECTION_OPTIONS: ReadonlySet<string> = new Set(['close', 'keep-alive']);
