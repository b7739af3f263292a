import { createServer } from 'node:net';

/**
 * A TCP port that was free a moment ago (the kernel's choice for port 0 on loopback), for
 * peers that cannot be told to pick one themselves (gnutls-serv). Prefer port 0 wherever the
 * program prints the port it bound.
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      server.close(() => resolve(port));
    });
  });
}
