// Node's own https server answering by itself (no proxying): the handshake baseline.
// Serves the same bodies as the origin: 100 bytes at /, 1 MiB at /1m.
import https from 'node:https';
import { baselineOptions } from './common.mjs';

const { port, tls } = baselineOptions();
const small = Buffer.alloc(100, 'a');
const big = Buffer.alloc(1 << 20, 'b');

const server = https.createServer(tls, (req, res) => {
  const body = req.url === '/1m' ? big : small;
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
  res.end(body);
  req.resume();
});
server.keepAliveTimeout = 60_000;
server.headersTimeout = 65_000;
server.requestTimeout = 0;
server.on('tlsClientError', () => {});
server.listen(port, '127.0.0.1', () => console.log(`node-https-server listening on 127.0.0.1:${port}`));
process.on('SIGTERM', () => process.exit(0));
