// X25519MLKEM768 against real post-quantum peers in their own processes: Node 24's tls (OpenSSL
// 3.5) as client and server, and the @proxy/tls-openssl backend's bin running on Node 24; both
// crypto providers of this backend. The classical fallback against Debian's OpenSSL 3.0 (no
// ML-KEM) is in interop-openssl.test.ts.
import { readFileSync } from 'node:fs';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { TlsSettings, type TlsStream } from '@proxy/core';
import { pqNodeBinary, pqNodeClient, pqNodeServer, runPeer, startPeer, type PeerProcess } from '@proxy/testkit';
import { createPureAcceptor, createPureConnector } from '../src/index.js';
import { parseClientKeyShares, u16List, Ext } from '../src/messages/extensions.js';
import { HRR_RANDOM, parseClientHello, parseServerHello } from '../src/messages/hello.js';
import { makePki } from './support/pki.js';
import { clientOptions } from './support/options.js';
import { listenWith, readUntil, tcpConnect } from './support/openssl.js';

const pki = makePki();
const HYBRID = 'X25519MLKEM768';
const OPENSSL_BIN = fileURLToPath(new URL('../../tls-openssl/bin/proxy-tls-openssl.js', import.meta.url));
const servers: Server[] = [];
const peers: PeerProcess[] = [];
afterAll(async () => {
  for (const s of servers) s.close();
  await Promise.all(peers.map((p) => p.kill()));
});

/** Node 24 (OpenSSL 3.5): this runtime when it qualifies, else the one tools/node-runtime.sh cached. */
function node24(): string {
  const bin = pqNodeBinary();
  if (!bin) throw new Error('no Node with OpenSSL 3.5 found: run `bash tools/node-runtime.sh 24` (tools/test.sh does)');
  return bin;
}

const chainPem = (): string => readFileSync(pki.ecdsa.certPath, 'utf8');

/** A pure listener that writes one line and reports digests. */
async function pureServer(settings: TlsSettings, provider: 'pure' | 'node') {
  const digests: TlsStream['digest'][] = [];
  const errors: Error[] = [];
  const acceptor = createPureAcceptor(settings, { provider });
  const { server, port } = await listenWith(() => acceptor, (s) => {
    digests.push(s.digest);
    s.on('error', () => {});
    s.on('data', () => {});
    s.end('hello from pure\n');
  }, (e) => errors.push(e));
  servers.push(server);
  return { port, digests, errors };
}

/**
 * A TCP relay in front of `port` that keeps the first chunk each way: the peer's ClientHello and
 * the server's first flight (a ServerHello or a HelloRetryRequest).
 */
async function relay(port: number): Promise<{ port: number; clientFirst: () => Buffer | undefined; serverFirst: () => Buffer | undefined }> {
  let clientFirst: Buffer | undefined;
  let serverFirst: Buffer | undefined;
  const server = createServer((down: Socket) => {
    const up = connect(port, '127.0.0.1');
    down.on('data', (d: Buffer) => {
      clientFirst ??= d;
      up.write(d);
    });
    up.on('data', (d: Buffer) => {
      serverFirst ??= d;
      down.write(d);
    });
    down.on('end', () => up.end());
    up.on('end', () => down.end());
    down.on('error', () => up.destroy());
    up.on('error', () => down.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return { port: (server.address() as AddressInfo).port, clientFirst: () => clientFirst, serverFirst: () => serverFirst };
}

async function pureGet(port: number, over: Parameters<typeof clientOptions>[1] = {}, provider: 'pure' | 'node' = 'pure') {
  const connector = createPureConnector(clientOptions(pki, over), { provider });
  const stream = await connector.connect(await tcpConnect(port), { sni: 'localhost', addr: `127.0.0.1:${port}` });
  const text = await readUntil(stream, /\n/);
  stream.destroy();
  return { digest: stream.digest, text };
}

describe('X25519MLKEM768 with Node 24 (OpenSSL 3.5)', () => {
  for (const provider of ['pure', 'node'] as const) {
    it(`pure server (${provider} provider), Node 24 client offering the hybrid: X25519MLKEM768 on both sides`, async () => {
      const srv = await pureServer(TlsSettings.intermediate(pki.ecdsa.certPath, pki.ecdsa.keyPath), provider);
      const r = await pqNodeClient(node24(), srv.port, pki.caPem, 'X25519MLKEM768:X25519');
      expect(r).toEqual({ group: HYBRID, protocol: 'TLSv1.3' });
      expect(srv.digests[0]).toMatchObject({ version: 'TLSv1.3', group: HYBRID });
    }, 20_000);

    it(`pure client (${provider} provider) to a Node 24 server preferring the hybrid: X25519MLKEM768`, async () => {
      const srv = await pqNodeServer(node24(), chainPem(), pki.ecdsa.keyPem, 'X25519MLKEM768:X25519');
      try {
        const { digest, text } = await pureGet(srv.port, {}, provider);
        expect(digest).toMatchObject({ version: 'TLSv1.3', group: HYBRID });
        expect(text).toMatch(/hello from node v2/);
      } finally {
        srv.close();
      }
    }, 20_000);
  }

  it('HelloRetryRequest: a Node 24 client that lists the hybrid but shares only X25519 is asked for the hybrid by the pure server', async () => {
    const srv = await pureServer(TlsSettings.intermediate(pki.ecdsa.certPath, pki.ecdsa.keyPath), 'pure');
    const wire = await relay(srv.port);
    const r = await pqNodeClient(node24(), wire.port, pki.caPem, 'X25519:X25519MLKEM768');
    expect(r.group).toBe(HYBRID);
    expect(srv.digests[0]?.group).toBe(HYBRID);
    // What crossed the wire: OpenSSL 3.5 listed 0x11EC but sent one X25519 share, and our first
    // answer was a HelloRetryRequest (RFC 8446 4.1.3's special random).
    const ch = parseClientHello(wire.clientFirst()!.subarray(9));
    expect(u16List(ch.extensions.get(Ext.supported_groups)!, 'supported_groups')).toContain(0x11ec);
    expect(parseClientKeyShares(ch.extensions.get(Ext.key_share)!).map((s) => s.group)).toEqual([0x001d]);
    const first = wire.serverFirst()!;
    const sh = parseServerHello(first.subarray(9, 5 + first.readUInt16BE(3)));
    expect(Buffer.from(sh.random).equals(Buffer.from(HRR_RANDOM))).toBe(true);
  }, 20_000);

  it('HelloRetryRequest the other way: a pure client preferring x25519 to a hybrid-only Node 24 server retries with the hybrid', async () => {
    const srv = await pqNodeServer(node24(), chainPem(), pki.ecdsa.keyPem, 'X25519MLKEM768');
    try {
      const { digest } = await pureGet(srv.port, { groups: ['x25519', HYBRID] });
      expect(digest.group).toBe(HYBRID);
    } finally {
      srv.close();
    }
  }, 20_000);

  it('a classical Node 24 on either side: x25519 (the pure client\'s second share; the pure server\'s classical pick)', async () => {
    const nodeSrv = await pqNodeServer(node24(), chainPem(), pki.ecdsa.keyPem, 'X25519');
    try {
      expect((await pureGet(nodeSrv.port)).digest.group).toBe('x25519');
    } finally {
      nodeSrv.close();
    }
    const srv = await pureServer(TlsSettings.intermediate(pki.ecdsa.certPath, pki.ecdsa.keyPath), 'pure');
    expect((await pqNodeClient(node24(), srv.port, pki.caPem, 'X25519')).group).toBe('X25519');
    expect(srv.digests[0]?.group).toBe('x25519');
  }, 20_000);

  it('setGroups with classical groups turns the hybrid off for a Node 24 client that offers it', async () => {
    const srv = await pureServer(TlsSettings.intermediate(pki.ecdsa.certPath, pki.ecdsa.keyPath).setGroups(['x25519', 'secp256r1']), 'pure');
    expect((await pqNodeClient(node24(), srv.port, pki.caPem, 'X25519MLKEM768:X25519')).group).toBe('X25519');
    expect(srv.digests[0]?.group).toBe('x25519');
  }, 20_000);
});

describe('X25519MLKEM768 with the @proxy/tls-openssl backend on Node 24 (its bin, own process)', () => {
  it('pure connector → openssl s_server (defaults on both): X25519MLKEM768 in both digests', async () => {
    const { process: p, match } = await startPeer(
      node24(), [OPENSSL_BIN, 's_server', '-accept', '127.0.0.1:0', '-cert', pki.ecdsa.certPath, '-key', pki.ecdsa.keyPath, '-www'],
      /^ACCEPT (\d+)$/m, 15_000, 'stdout',
    );
    peers.push(p);
    const port = Number(match[1]);
    const connector = createPureConnector(clientOptions(pki));
    const stream = await connector.connect(await tcpConnect(port), { sni: 'localhost', addr: `127.0.0.1:${port}` });
    stream.write('GET / HTTP/1.0\r\n\r\n');
    const page = await readUntil(stream, /group: \S+/);
    stream.destroy();
    expect(stream.digest).toMatchObject({ version: 'TLSv1.3', group: HYBRID });
    // The -www page reports the openssl backend's own digest.
    expect(page).toMatch(/group: X25519MLKEM768/);
  }, 30_000);

  it('openssl s_client → pure acceptor (defaults on both): X25519MLKEM768 in both digests', async () => {
    const srv = await pureServer(TlsSettings.intermediate(pki.ecdsa.certPath, pki.ecdsa.keyPath), 'pure');
    const r = await runPeer(node24(), [OPENSSL_BIN, 's_client', '-connect', `127.0.0.1:${srv.port}`, '-servername', 'localhost', '-CAfile', pki.caPath], {
      stdin: '', timeoutMs: 15_000,
    });
    const digest = /^DIGEST (.*)$/m.exec(r.stdout)?.[1];
    expect(digest, r.stderr).toBeDefined();
    expect(JSON.parse(digest!)).toMatchObject({ backend: 'openssl', version: 'TLSv1.3', group: HYBRID });
    expect(srv.digests[0]).toMatchObject({ version: 'TLSv1.3', group: HYBRID });
  }, 30_000);
});
