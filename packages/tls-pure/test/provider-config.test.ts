import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TlsSettings, connectionInfo, parseCertificates, tlsClientOptions, type TlsAcceptor, type TlsConnector } from '@proxy/core';
import { makePki } from './support/pki.js';
import {
  createPureAcceptor, createPureConnector, cryptoProvider, nodeCryptoProvider, pureBackend, pureCryptoProvider, setCryptoProvider,
  type CryptoProvider,
} from '../src/index.js';

const pki = makePki();
const clientOptions = () => tlsClientOptions({ ca: parseCertificates(pki.caPem, pki.caPath, 'CA'), caPem: pki.caPem, handshakeTimeoutMs: 5000 });
const settings = () => TlsSettings.intermediate(pki.ecdsa.certPath, pki.ecdsa.keyPath);

/** The pure provider, counting the random bytes asked of it: every handshake asks. */
function counting(): CryptoProvider & { calls: number } {
  const p = { ...pureCryptoProvider, name: 'counting', calls: 0 };
  p.random = (n: number) => {
    p.calls++;
    return pureCryptoProvider.random(n);
  };
  return p;
}

let server: Server;
let acceptor: TlsAcceptor;
const sockets = new Set<Socket>();
beforeAll(async () => {
  server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    acceptor.accept(socket, connectionInfo(socket)).then((s) => {
      s.on('error', () => {});
      s.end(JSON.stringify(s.digest));
    }, () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
const initial = cryptoProvider();
afterEach(() => setCryptoProvider(initial));

async function handshake(connector: TlsConnector): Promise<{ cipher: string }> {
  const port = (server.address() as AddressInfo).port;
  const socket = connect({ port, host: '127.0.0.1' });
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const stream = await connector.connect(socket, { sni: 'localhost', addr: `127.0.0.1:${port}` });
  let body = '';
  for await (const chunk of stream) body += String(chunk);
  return JSON.parse(body) as { cipher: string };
}

describe('the crypto provider is part of each compiled configuration', () => {
  it('an acceptor keeps the provider it was built with after setCryptoProvider()', async () => {
    // The server picks ChaCha20 with a software-AES provider (pure), AES-GCM with node's.
    setCryptoProvider('node');
    acceptor = pureBackend.createAcceptor(settings());
    setCryptoProvider('pure');
    const connector = pureBackend.createConnector(clientOptions());
    expect((await handshake(connector)).cipher).toBe('TLS_AES_128_GCM_SHA256');
    acceptor = pureBackend.createAcceptor(settings());
    expect((await handshake(connector)).cipher).toBe('TLS_CHACHA20_POLY1305_SHA256');
  });

  it('a connector keeps the provider it was built with after setCryptoProvider()', async () => {
    acceptor = createPureAcceptor(settings(), { provider: 'node' });
    const mine = counting();
    setCryptoProvider(mine);
    const connector = pureBackend.createConnector(clientOptions());
    setCryptoProvider('node');
    await handshake(connector);
    const after = mine.calls;
    expect(after).toBeGreaterThan(0);
    await handshake(connector);
    expect(mine.calls).toBeGreaterThan(after);
  });

  it('createPureAcceptor / createPureConnector take a provider per configuration, whatever the process default', async () => {
    setCryptoProvider('node');
    acceptor = createPureAcceptor(settings(), { provider: 'pure' });
    const mine = counting();
    const connector = createPureConnector(clientOptions(), { provider: mine });
    expect((await handshake(connector)).cipher).toBe('TLS_CHACHA20_POLY1305_SHA256');
    expect(mine.calls).toBeGreaterThan(0);
    expect(cryptoProvider()).toBe(nodeCryptoProvider);
  });
});
