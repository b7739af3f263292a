import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The embedded origin the default gateway proxies to: answers every request with a small page
 * that shows what reached it (method, path, the forwarded headers), so the proxy's work is visible.
 */
export async function startDemoOrigin(host = '127.0.0.1'): Promise<{ server: Server; address: string }> {
  const server = createServer((req, res) => {
    const lines = [
      'Hello from the @proxy demo origin.',
      `${req.method} ${req.url} HTTP/${req.httpVersion}`,
      `host: ${String(req.headers.host ?? '')}`,
      `x-forwarded-for: ${String(req.headers['x-forwarded-for'] ?? '')}`,
      `x-forwarded-proto: ${String(req.headers['x-forwarded-proto'] ?? '')}`,
      `via gateway TLS: ${String(req.headers['x-proxy-tls'] ?? '')}`,
      '',
    ];
    const body = lines.join('\n');
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const a = server.address() as AddressInfo;
  return { server, address: `${a.address}:${a.port}` };
}
