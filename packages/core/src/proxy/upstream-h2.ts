import http2 from 'node:http2';
import { ConnectionClosedError, ProxyError, TimeoutError } from '../errors/index.js';
import { HeaderMap } from '../http/header-map.js';
import { ResponseHead, type RequestHead } from '../http/messages.js';
import type { H2Connection } from '../upstream/h2-client.js';
import type { HttpPeer } from '../upstream/peer.js';
import { h2RequestHeaders } from './forwarding-headers.js';
import type { UpstreamRequest, UpstreamSink } from './upstream-request.js';

const { NGHTTP2_CANCEL, NGHTTP2_REFUSED_STREAM } = http2.constants;

function noop(): void {}

/**
 * A request on one stream of a shared HTTP/2 upstream session. Stream events become sink calls;
 * a stream refused by the upstream (REFUSED_STREAM) or lost with its session before any response
 * byte is reported retryable, since the upstream did not process it.
 */
export class H2UpstreamRequest implements UpstreamRequest {
  readonly protocol = 'h2' as const;
  private headSeen = false;
  private streamOpen = true;

  private constructor(
    private readonly conn: H2Connection,
    private readonly stream: http2.ClientHttp2Stream,
    private readonly sink: UpstreamSink,
  ) {
    // 'data' is attached only once the head is in: node:http2 emits 'response' on the next tick
    // but DATA frames decoded in the same read synchronously, so a flowing stream could hand us
    // body bytes before the head. Until then the stream stays paused and buffers them.
    stream.on('response', this.onResponse);
    stream.on('end', this.onEnd);
    stream.on('error', this.onError);
    stream.on('close', this.onClose);
  }

  /**
   * Opens the stream. Throws a retryable ConnectionClosedError when the session went away
   * between acquire and request (a GOAWAY).
   */
  static send(conn: H2Connection, peer: HttpPeer, head: RequestHead, sink: UpstreamSink, hasBody: boolean, readTimeoutMs: number): H2UpstreamRequest {
    let stream: http2.ClientHttp2Stream;
    try {
      stream = conn.request(h2RequestHeaders(head, peer.useTls ? 'https' : 'http'), !hasBody);
    } catch (e) {
      conn.streamDone();
      throw new ConnectionClosedError(`HTTP/2 session to ${conn.addr} is closing`, 'upstream', { cause: e, retryable: true });
    }
    const req = new H2UpstreamRequest(conn, stream, sink);
    if (readTimeoutMs > 0) stream.setTimeout(readTimeoutMs, () => sink.onUpstreamError(new TimeoutError('read', readTimeoutMs, 'upstream')));
    return req;
  }

  writeBody(chunk: Buffer): boolean {
    return this.stream.write(chunk);
  }

  onWritable(fn: () => void): void {
    this.stream.once('drain', fn);
  }

  endBody(): void {
    this.stream.end();
  }

  abandonBody(): void {
    // The stream ends with the response; nothing to mark.
  }

  pause(): void {
    this.stream.pause();
  }

  resume(): void {
    this.stream.resume();
  }

  complete(): void {
    // The stream's 'close' gives the slot back to the session.
  }

  detach(): void {
    // Nothing of this stream may reach the sink again: it may already be on its next attempt.
    const s = this.stream;
    s.off('close', this.onClose);
    s.off('response', this.onResponse);
    s.off('data', this.onData);
    s.off('end', this.onEnd);
    s.off('error', this.onError);
    s.on('error', noop);
    s.setTimeout(0);
    if (!s.closed) s.close(NGHTTP2_CANCEL);
    this.streamClosed();
  }

  private streamClosed(): void {
    if (!this.streamOpen) return;
    this.streamOpen = false;
    this.conn.streamDone();
  }

  private readonly onResponse = (headers: http2.IncomingHttpHeaders & http2.IncomingHttpStatusHeader): void => {
    const status = Number(headers[':status']);
    const head = new ResponseHead(status, HeaderMap.fromObject(headers));
    this.headSeen = true;
    this.sink.onUpstreamHead(head, this.stream.endAfterHeaders);
    this.stream.on('data', this.onData);
  };

  private readonly onData = (chunk: Buffer): void => {
    this.sink.onUpstreamBody(chunk);
  };

  private readonly onEnd = (): void => {
    if (!this.headSeen) return; // reported by 'close'
    this.sink.onUpstreamEnd(undefined);
  };

  private readonly onError = (err: Error): void => {
    const refused = this.stream.rstCode === NGHTTP2_REFUSED_STREAM;
    this.sink.onUpstreamError(err instanceof ProxyError ? err : new ConnectionClosedError(
      `HTTP/2 stream to ${this.conn.addr} failed: ${err.message}`,
      'upstream',
      { cause: err, retryable: refused },
    ));
  };

  private readonly onClose = (): void => {
    this.streamClosed();
    // After the end this is a no-op for the sink (it is finished); before it, the response was
    // lost. REFUSED_STREAM, or a session that died before answering: the request was not processed.
    const retryable = this.stream.rstCode === NGHTTP2_REFUSED_STREAM || (!this.headSeen && this.conn.closed);
    this.sink.onUpstreamError(new ConnectionClosedError(
      `HTTP/2 stream to ${this.conn.addr} closed before the response ended`,
      'upstream',
      { retryable },
    ));
  };
}
