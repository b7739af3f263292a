// The Node http2 baseline: an h2-over-TLS server (ALPN h2, http/1.1 fallback off) that proxies
// every stream to the origin over a keep-alive http.request.
import http2 from 'node:http2';
import http from 'node:http';
import { baselineOptions } from './common.mjs';

const { port, upstream, tls } = baselineOptions();
const agent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 256 });
const hopByHop = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection']);

const server = http2.createSecureServer({ ...tls, allowHTTP1: false, settings: { maxConcurrentStreams: 256 } });
server.on('stream', (stream, h) => {
  const headers = {};
  for (const [k, v] of Object.entries(h)) if (k[0] !== ':') headers[k] = v;
  headers.host = h[':authority'];
  const up = http.request(
    { host: upstream.host, port: upstream.port, method: h[':method'], path: h[':path'], headers, agent },
    (upRes) => {
      if (stream.destroyed) return void upRes.resume(); // client went away meanwhile
      const out = { ':status': upRes.statusCode ?? 502 };
      for (const [k, v] of Object.entries(upRes.headers)) if (!hopByHop.has(k)) out[k] = v;
      stream.respond(out);
      upRes.pipe(stream);
    },
  );
  up.on('error', () => {
    if (stream.destroyed) return;
    if (!stream.headersSent) stream.respond({ ':status': 502 });
    stream.end();
  });
  stream.on('error', () => up.destroy());
  stream.pipe(up);
});
server.on('sessionError', () => {});
server.listen(port, '127.0.0.1', () => console.log(`node-h2-proxy listening on 127.0.0.1:${port}`));
process.on('SIGTERM', () => process.exit(0));
