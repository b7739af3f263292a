import type { RequestHead } from '../http/messages.js';
import type { Connector } from '../upstream/connector.js';
import type { H1Connection } from '../upstream/h1-client.js';
import type { HttpPeer } from '../upstream/peer.js';
import { serializeRequestHead } from './forwarding-headers.js';
import type { UpstreamRequest, UpstreamSink } from './upstream-request.js';

/**
 * A request on a pooled HTTP/1.1 upstream connection: the head goes out as one write, the body
 * as written (chunked when its length is unknown), and the response comes back through the
 * connection's own parser straight to the sink. A finished exchange gives the connection back to
 * the pool; one dropped early closes it (the upstream may still be sending).
 */
export class H1UpstreamRequest implements UpstreamRequest {
  readonly protocol = 'h1' as const;
  private over = false;

  private constructor(
    private readonly conn: H1Connection,
    private readonly connector: Connector,
    private readonly peer: HttpPeer,
    private readonly chunked: boolean,
  ) {}

  static send(
    conn: H1Connection, connector: Connector, peer: HttpPeer, head: RequestHead, sink: UpstreamSink,
    hasBody: boolean, chunked: boolean, readTimeoutMs: number,
  ): H1UpstreamRequest {
    const req = new H1UpstreamRequest(conn, connector, peer, chunked);
    conn.send(serializeRequestHead(head, chunked), sink, head.method === 'HEAD', hasBody, readTimeoutMs);
    return req;
  }

  writeBody(chunk: Buffer): boolean {
    if (this.conn.closed) return true;
    return this.conn.writeBody(chunk, this.chunked);
  }

  onWritable(fn: () => void): void {
    this.conn.stream.once('drain', fn);
  }

  endBody(): void {
    if (!this.conn.closed) this.conn.endBody(this.chunked);
  }

  abandonBody(): void {
    this.conn.abandonBody();
  }

  pause(): void {
    this.conn.pause();
  }

  resume(): void {
    this.conn.resume();
  }

  complete(): void {
    if (this.over) return;
    this.over = true;
    // An unfinished request left the connection unusable, which the pool sees.
    this.connector.release(this.conn, this.peer);
  }

  detach(): void {
    if (this.over) return;
    this.over = true;
    this.conn.destroy();
  }
}
