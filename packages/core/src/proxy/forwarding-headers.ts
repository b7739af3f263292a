import { HeaderMap } from '../http/header-map.js';
import { RequestHead } from '../http/messages.js';

/**
 * Hop-by-hop fields (RFC 9110 7.6.1) are about one connection and never forwarded, as nginx
 * does: Connection, Keep-Alive, Proxy-*, TE, Trailer, Transfer-Encoding, Upgrade, plus any
 * name the Connection header lists. Names are compared lower-cased.
 */
export function isHopByHop(lowerName: string): boolean {
  switch (lowerName.length) {
    case 2:
      return lowerName === 'te';
    case 7:
      return lowerName === 'trailer' || lowerName === 'upgrade';
    case 10:
      return lowerName === 'connection' || lowerName === 'keep-alive';
    case 17:
      return lowerName === 'transfer-encoding';
    default:
      return lowerName.length > 6 && lowerName.startsWith('proxy-');
  }
}

/**
 * Cheap pre-check before lower-casing a name: true when it could be hop-by-hop or one of the
 * fields the proxy rewrites (Host, X-Forwarded-For, Content-Length). Most names (Accept,
 * User-Agent, Cookie...) fail it on their length alone and are copied without a toLowerCase.
 */
export function mayNeedAttention(name: string): boolean {
  switch (name.length) {
    case 2: case 4: case 6: case 7: case 10: case 14: case 15: case 17:
      return true;
    default: {
      const c = name.charCodeAt(0);
      return c === 112 /* p */ || c === 80 /* P */;
    }
  }
}

/** The client IP of an "ip:port" / "[v6]:port" address, as X-Forwarded-For wants it. */
export function clientIp(addr: string): string {
  if (addr.startsWith('[')) {
    const end = addr.indexOf(']');
    return end > 0 ? addr.slice(1, end) : addr;
  }
  const colon = addr.lastIndexOf(':');
  // A bare IPv6 address ("::1:443"): the port is after the last colon only if there are others.
  return colon > 0 ? addr.slice(0, colon) : addr;
}

/**
 * The request head sent upstream, built in one pass over the downstream fields: hop-by-hop
 * fields dropped, X-Forwarded-For joined and appended with the client address (nginx's
 * $proxy_add_x_forwarded_for), Host kept (and added from :authority when the client spoke h2),
 * Expect dropped because the downstream server already answered 100-continue.
 */
export function upstreamRequestHead(req: RequestHead, clientAddr: string): RequestHead {
  const src = req.headers.raw;
  const out: string[] = [];
  let xffIndex = -1;
  let hasHost = false;
  let connectionTokens: string | undefined;
  for (let i = 0; i < src.length; i += 2) {
    const name = src[i]!;
    if (!mayNeedAttention(name)) {
      out.push(name, src[i + 1]!);
      continue;
    }
    const lower = name.toLowerCase();
    if (isHopByHop(lower)) {
      if (lower === 'connection') connectionTokens = connectionTokens === undefined ? src[i + 1]! : `${connectionTokens},${src[i + 1]!}`;
      continue;
    }
    if (lower === 'x-forwarded-for') {
      if (xffIndex < 0) {
        xffIndex = out.length;
        out.push(name, src[i + 1]!);
      } else {
        out[xffIndex + 1] += `, ${src[i + 1]!}`;
      }
      continue;
    }
    // The client's 100-continue was answered downstream already (as nginx, which clears Expect).
    if (lower === 'expect') continue;
    if (lower === 'host') hasHost = true;
    out.push(name, src[i + 1]!);
  }
  const ip = clientIp(clientAddr);
  if (xffIndex >= 0) out[xffIndex + 1] += `, ${ip}`;
  else out.push('X-Forwarded-For', ip);
  if (!hasHost && req.authority) out.unshift('Host', req.authority);
  const headers = new HeaderMap(out);
  // "Connection: host" must not take the Host field with it.
  if (connectionTokens !== undefined) removeConnectionListed(headers, connectionTokens, KEEP_HOST);
  return new RequestHead(req.method, req.path, req.authority, headers);
}

const KEEP_HOST: ReadonlySet<string> = new Set(['host']);

/**
 * Removes the fields the Connection header names (the last part of the hop-by-hop rule above).
 * `tokens`: the Connection values joined with commas; names in `keep` (lower-case) stay.
 */
export function removeConnectionListed(headers: HeaderMap, tokens: string, keep: ReadonlySet<string>): void {
  for (const t of tokens.split(',')) {
    const name = t.trim().toLowerCase();
    if (name && !keep.has(name)) headers.remove(name);
  }
}

/** Serializes an HTTP/1.1 request head (one string, one write). */
export function serializeRequestHead(head: RequestHead, bodyChunked: boolean): string {
  let s = `${head.method} ${head.path} HTTP/1.1\r\n`;
  const raw = head.headers.raw;
  for (let i = 0; i < raw.length; i += 2) s += `${raw[i]!}: ${raw[i + 1]!}\r\n`;
  if (bodyChunked) s += 'Transfer-Encoding: chunked\r\n';
  return s + '\r\n';
}

/** HTTP/2 request headers for `head`: pseudo-headers from the head, Host folded into :authority. */
export function h2RequestHeaders(head: RequestHead, scheme: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {
    ':method': head.method,
    ':path': head.path,
    ':scheme': scheme,
  };
  let authority = head.authority;
  const raw = head.headers.raw;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (name === 'host') {
      authority = raw[i + 1]!;
      continue;
    }
    // Connection-specific fields are forbidden in h2 (RFC 9113 8.2.2); they were stripped already
    // except TE: trailers, which h2 allows but Node rejects from the client side anyway.
    if (name === 'te') continue;
    const prev = out[name];
    if (prev === undefined) out[name] = raw[i + 1]!;
    else if (Array.isArray(prev)) prev.push(raw[i + 1]!);
    else out[name] = [prev, raw[i + 1]!];
  }
  if (authority) out[':authority'] = authority;
  return out;
}
