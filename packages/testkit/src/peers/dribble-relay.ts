import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * A TCP relay that forwards the client's first `dribbleBytes` bytes to the server in tiny
 * segments (with Nagle off and a pause between them), then relays normally. It makes a
 * ClientHello arrive in many reads, which a server that peeks at it (for SNI) must reassemble.
 */
export interface DribbleRelay {
  port: number;
  /** Client→server segments written so far. */
  segments(): number;
  close(): Promise<void>;
}

export async function dribbleRelay(targetPort: number, options: { chunk?: number; dribbleBytes?: number; delayMs?: number } = {}): Promise<DribbleRelay> {
  const chunk = options.chunk ?? 7;
  const dribbleBytes = options.dribbleBytes ?? 4096;
  const delayMs = options.delayMs ?? 2;
  const sockets = new Set<Socket>();
  let segments = 0;
  const server: Server = createServer((client) => {
    const upstream = connect({ port: targetPort, host: '127.0.0.1', noDelay: true });
    client.setNoDelay(true);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
      s.on('close', () => sockets.delete(s));
    }
    let sent = 0;
    let queue: Promise<void> = Promise.resolve();
    client.on('data', (data: Buffer) => {
      queue = queue.then(async () => {
        let at = 0;
        while (at < data.length && sent < dribbleBytes) {
          const piece = data.subarray(at, at + chunk);
          upstream.write(piece);
          segments++;
          at += piece.length;
          sent += piece.length;
          await new Promise((r) => setTimeout(r, delayMs));
        }
        if (at < data.length) upstream.write(data.subarray(at));
      });
    });
    client.on('end', () => void queue.then(() => upstream.end()));
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as AddressInfo).port,
    segments: () => segments,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}
