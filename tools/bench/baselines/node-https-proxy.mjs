// The Node baseline: a plain https server + http.request keep-alive proxy, nothing else.
import https from 'node:https';
import http from 'node:http';
import { baselineOptions } from './common.mjs';

const { port, upstream, tls } = baselineOptions();
const agent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 256 });

const server = https.createServer(tls, (req, res) => {
  const headers = { ...req.headers };
  delete headers.connection;
  const up = http.request(
    { host: upstream.host, port: upstream.port, method: req.method, path: req.url, headers, agent },
    (upRes) => {
      const out = { ...upRes.headers };
      delete out.connection;
      delete out['keep-alive'];
      res.writeHead(upRes.statusCode ?? 502, out);
      upRes.pipe(res);
    },
  );
  up.on('error', () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  req.pipe(up);
});
server.keepAliveTimeout = 60_000;
server.headersTimeout = 65_000;
server.requestTimeout = 0;
server.on('tlsClientError', () => {});
server.listen(port, '127.0.0.1', () => console.log(`node-https-proxy listening on 127.0.0.1:${port}`));
process.on('SIGTERM', () => process.exit(0));
