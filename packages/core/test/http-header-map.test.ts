import { describe, expect, it } from 'vitest';
import { HeaderMap, RequestHead, clientIp, h2RequestHeaders, isHopByHop, serializeRequestHead, upstreamRequestHead } from '../src/index.js';

describe('HeaderMap', () => {
  it('looks names up case-insensitively and keeps duplicates and order', () => {
    const h = new HeaderMap(['Content-Type', 'text/plain', 'Set-Cookie', 'a=1', 'set-cookie', 'b=2']);
    expect(h.get('content-type')).toBe('text/plain');
    expect(h.getAll('SET-COOKIE')).toEqual(['a=1', 'b=2']);
    h.set('Set-Cookie', 'c=3');
    expect(h.raw).toEqual(['Content-Type', 'text/plain', 'Set-Cookie', 'c=3']);
    h.append('X-A', '1');
    expect(h.remove('x-a')).toBe(1);
    expect(h.toObject()).toEqual({ 'content-type': 'text/plain', 'set-cookie': 'c=3' });
  });

  it('refuses values that would split a header or a message', () => {
    const h = new HeaderMap();
    expect(() => h.set('X-A', 'a\r\nEvil: 1')).toThrow(/CR, LF/);
    expect(() => h.append('Bad Name', 'v')).toThrow(/invalid header name/);
  });
});

describe('forwarding headers', () => {
  it('lists the hop-by-hop fields nginx drops', () => {
    for (const n of ['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']) {
      expect(isHopByHop(n)).toBe(true);
    }
    for (const n of ['host', 'content-length', 'x-proxy', 'proxy']) expect(isHopByHop(n)).toBe(false);
  });

  it('extracts the client IP for X-Forwarded-For', () => {
    expect(clientIp('127.0.0.1:5555')).toBe('127.0.0.1');
    expect(clientIp('[::1]:5555')).toBe('::1');
    expect(clientIp('::1:5555')).toBe('::1');
  });

  it('joins existing X-Forwarded-For fields and appends the client', () => {
    const req = new RequestHead('GET', '/', 'h', new HeaderMap(['Host', 'h', 'X-Forwarded-For', '1.1.1.1', 'x-forwarded-for', '2.2.2.2', 'Connection', 'X-Hop', 'X-Hop', 'v', 'Expect', '100-continue']));
    const up = upstreamRequestHead(req, '3.3.3.3:1');
    expect(up.headers.raw).toEqual(['Host', 'h', 'X-Forwarded-For', '1.1.1.1, 2.2.2.2, 3.3.3.3']);
    // The downstream head is untouched.
    expect(req.headers.size).toBe(6);
    expect(serializeRequestHead(up, true)).toBe('GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 1.1.1.1, 2.2.2.2, 3.3.3.3\r\nTransfer-Encoding: chunked\r\n\r\n');
  });

  it('adds Host from :authority for h2 clients and maps back to pseudo-headers for h2 upstreams', () => {
    const req = new RequestHead('POST', '/p?q', 'site.test', new HeaderMap(['cookie', 'a=1', 'accept', '*/*']));
    const up = upstreamRequestHead(req, '10.0.0.1:9');
    expect(up.headers.get('host')).toBe('site.test');
    expect(h2RequestHeaders(up, 'https')).toEqual({
      ':method': 'POST', ':path': '/p?q', ':scheme': 'https', ':authority': 'site.test',
      cookie: 'a=1', accept: '*/*', 'x-forwarded-for': '10.0.0.1',
    });
  });
});
