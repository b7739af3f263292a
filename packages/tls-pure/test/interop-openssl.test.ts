import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Server } from 'node:net';
import { InvalidCertError, TlsSettings, type TlsStream } from '@proxy/core';
import { pureBackend, setCryptoProvider } from '../src/index.js';
import { makePki } from './support/pki.js';
import { clientOptions, Alpn } from './support/options.js';
import { killAll, listenWith, readUntil, runOpenssl, startSServer, tcpConnect } from './support/openssl.js';

const pki = makePki();
const servers: Server[] = [];

afterAll(() => {
  killAll();
  for (const s of servers) s.close();
});

/** A pure-TLS echo-ish server: answers each line with "pong:<line>" and reports the digest. */
async function pureServer(settings: TlsSettings) {
  const digests: TlsStream['digest'][] = [];
  const errors: Error[] = [];
  const acceptor = pureBackend.createAcceptor(settings);
  const { server, port } = await listenWith(() => acceptor, (s) => {
    digests.push(s.digest);
    s.on('data', (d: Buffer) => s.write(`pong:${d.toString().trim()}\n`));
    s.on('end', () => s.end());
    s.on('error', () => {});
  }, (e) => errors.push(e));
  servers.push(server);
  return { port, digests, errors };
}

/**
 * Runs openssl s_client against `port` and types `lines` one by one; each line waits for the
 * server's answer to the previous data lines, so a command (K: KeyUpdate, R: renegotiate) never
 * overtakes data still in flight. Stdin ends once every data line is answered (or after 5 s).
 */
function sClient(port: number, extra: string[], lines: string[] = ['ping']) {
  return runOpenssl(['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost', '-CAfile', pki.caPath, '-verify_return_error', '-brief', ...extra], (stdin, out) => {
    const started = Date.now();
    let sent = 0;
    let dataSent = 0;
    const tick = setInterval(() => {
      const answered = out().split('pong:').length - 1;
      const timedOut = Date.now() - started > 10_000;
      if (timedOut || (sent === lines.length && answered >= dataSent)) {
        clearInterval(tick);
        stdin.end();
        return;
      }
      if (sent < lines.length && answered >= dataSent) {
        const line = lines[sent++]!;
        if (!/^[kKR]$/.test(line)) dataSent++;
        stdin.write(`${line}\n`);
      }
    }, 50);
  });
}

describe('pure server, openssl s_client', () => {
  // Debian's OpenSSL 3.0 has no ML-KEM: these are the classical fallback of the hybrid default,
  // x25519 with no retry (interop-pq.test.ts has the post-quantum peers).
  it('TLS 1.3, ECDSA P-256, x25519, AES-128-GCM', async () => {
    const srv = await pureServer(TlsSettings.intermediate(pki.ecdsa.certPath, pki.ecdsa.keyPath));
    const r = await sClient(srv.port, ['-tls1_3', '-ciphersuites', 'TLS_AES_128_GCM_SHA256']);
    expect(r.stdout).toContain('pong:ping');
    expect(r.stderr).toMatch(/Protocol version: TLSv1.3/);
    expect(r.stderr).toMatch(/Ciphersuite: TLS_AES_128_GCM_SHA256/);
    expect(r.stderr).toMatch(/Verification: OK/);
    expect(srv.digests[0]).toMatchObject({ version: 'TLSv1.3', group: 'x25519', sni: 'localhost' });
  });

  it('TLS 1.3 HelloRetryRequest to P-384, ChaCha20, RSA-PSS certificate', async () => {
    const settings = TlsSettings.intermediate(pki.rsa.certPath, pki.rsa.keyPath).setGroups(['secp384r1']);
    const srv = await pureServer(settings);
    const r = await sClient(srv.port, ['-tls1_3', '-groups', 'X25519:P-384', '-ciphersuites', 'TLS_CHACHA20_POLY1305_SHA256']);
    expect(r.stdout).toContain('pong:ping');
    expect(r.stderr).toMatch(/Ciphersuite: TLS_CHACHA20_POLY1305_SHA256/);
    expect(r.stderr).toMatch(/Signature type: RSA-PSS/);
    expect(srv.digests[0]).toMatchObject({ group: 'secp384r1', cipher: 'TLS_CHACHA20_POLY1305_SHA256' });
  });

  it('TLS 1.3 client certificate required, ALPN, and KeyUpdate requested by the client', async () => {
    const settings = TlsSettings.intermediate(pki.ecdsa.certPath, pki.ecdsa.keyPath).setClientAuth({ ca: pki.caPem, required: true }).enableH2();
    const srv = await pureServer(settings);
    const r = await sClient(srv.port, ['-tls1_3', '-cert', pki.client.certPath, '-cert_chain', pki.intermediatePath, '-key', pki.client.keyPath, '-alpn', 'h2'], ['ping', 'K', 'again']);
    expect(r.stdout).toContain('pong:ping');
    expect(r.stdout).toContain('pong:again');
    expect(srv.digests[0]?.peerCertificate?.sha256).toBe(pki.client.sha256);
    expect(srv.digests[0]?.alpn).toBe('h2');
  });

  it('the certificate callback picks the certificate by SNI (async), default otherwise', async () => {
    const settings = TlsSettings.withCallbacks({
      certificate: async (hello) => (hello.serverName === 'localhost' ? pki.rsa.certKey : undefined),
    }, pki.ecdsa.certKey);
    const srv = await pureServer(settings);
    const bySni = await sClient(srv.port, ['-tls1_3']);
    expect(bySni.stdout).toContain('pong:ping');
    expect(bySni.stderr).toMatch(/Peer certificate: O = Proxy Test RSA, CN = localhost/);
    const byDefault = await runOpenssl(['s_client', '-connect', `127.0.0.1:${srv.port}`, '-noservername', '-brief'], (stdin) => setTimeout(() => stdin.end(), 800));
    expect(byDefault.stderr).toMatch(/Peer certificate: O = Proxy Test, CN = localhost/);
  });

  it('TLS 1.3 client certificate required but not sent: certificate_required alert', async () => {
    const settings = TlsSettings.intermediate(pki.ecdsa.certPath, pki.ecdsa.keyPath).setClientAuth({ ca: pki.caPem, required: true });
    const srv = await pureServer(settings);
    const r = await sClient(srv.port, ['-tls1_3']);
    expect(r.stdout + r.stderr).toMatch(/certificate required|alert number 116/);
    expect(srv.errors[0]).toBeDefined();
  });

  for (const [cipher, cert] of [['ECDHE-ECDSA-AES256-GCM-SHA384', pki.ecdsa], ['ECDHE-RSA-CHACHA20-POLY1305', pki.rsa], ['ECDHE-RSA-AES128-GCM-SHA256', pki.rsa]] as const) {
    it(`TLS 1.2 ${cipher}`, async () => {
      const srv = await pureServer(TlsSettings.intermediate(cert.certPath, cert.keyPath));
      const r = await sClient(srv.port, ['-tls1_2', '-cipher', cipher]);
      expect(r.stdout).toContain('pong:ping');
      expect(r.stderr).toMatch(/Protocol version: TLSv1.2/);
      expect(r.stderr).toContain(`Ciphersuite: ${cipher}`);
      expect(srv.digests[0]?.version).toBe('TLSv1.2');
    });
  }

  it('with its software AES, the pure provider serves ChaCha20 to a default s_client (TLS 1.3 and 1.2); the node provider AES-GCM', async () => {
    const srv = await pureServer(TlsSettings.intermediate(pki.ecdsa.certPath, pki.ecdsa.keyPath));
    const a = await sClient(srv.port, ['-tls1_3']);
    expect(a.stdout).toContain('pong:ping');
    expect(a.stderr).toMatch(/Ciphersuite: TLS_CHACHA20_POLY1305_SHA256/);
    const b = await sClient(srv.port, ['-tls1_2']);
    expect(b.stdout).toContain('pong:ping');
    expect(b.stderr).toMatch(/Ciphersuite: ECDHE-ECDSA-CHACHA20-POLY1305/);
    setCryptoProvider('node');
    try {
      const nodeSrv = await pureServer(TlsSettings.intermediate(pki.ecdsa.certPath, pki.ecdsa.keyPath));
      const c = await sClient(nodeSrv.port, ['-tls1_3']);
      expect(c.stderr).toMatch(/Ciphersuite: TLS_AES_128_GCM_SHA256/);
    } finally {
      setCryptoProvider('pure');
    }
  });

  it('the node:crypto provider interoperates too (TLS 1.3 ChaCha20, TLS 1.2 AES-256-GCM)', async () => {
    setCryptoProvider('node');
    try {
      const srv = await pureServer(TlsSettings.intermediate(pki.ecdsa.certPath, pki.ecdsa.keyPath));
      const a = await sClient(srv.port, ['-tls1_3', '-ciphersuites', 'TLS_CHACHA20_POLY1305_SHA256']);
      expect(a.stdout).toContain('pong:ping');
      expect(a.stderr).toMatch(/Ciphersuite: TLS_CHACHA20_POLY1305_SHA256/);
      const b = await sClient(srv.port, ['-tls1_2', '-cipher', 'ECDHE-ECDSA-AES256-GCM-SHA384']);
      expect(b.stdout).toContain('pong:ping');
      expect(b.stderr).toMatch(/Ciphersuite: ECDHE-ECDSA-AES256-GCM-SHA384/);
    } finally {
      setCryptoProvider('pure');
    }
  });

  it('TLS 1.2 renegotiation is refused with a no_renegotiation alert', async () => {
    const srv = await pureServer(TlsSettings.intermediate(pki.ecdsa.certPath, pki.ecdsa.keyPath));
    const r = await sClient(srv.port, ['-tls1_2'], ['ping', 'R', 'after']);
    expect(r.stdout).toContain('pong:ping');
    // Our no_renegotiation alert is what stops openssl's renegotiation attempt.
    expect(r.stderr).toContain('RENEGOTIATING');
    expect(r.stderr).toMatch(/no renegotiation/);
    expect(srv.digests[0]?.version).toBe('TLSv1.2');
  });
});

describe('pure client, openssl s_server -www', () => {
  let ecdsa13: number;
  let rsa12: number;
  let mtls: number;
  let hrr: number;
  beforeAll(async () => {
    const base = ['-cert', pki.ecdsa.certPath, '-cert_chain', pki.intermediatePath, '-key', pki.ecdsa.keyPath, '-www'];
    ecdsa13 = (await startSServer([...base, '-alpn', 'h2,http/1.1'])).port;
    rsa12 = (await startSServer(['-cert', pki.rsa.certPath, '-cert_chain', pki.intermediatePath, '-key', pki.rsa.keyPath, '-www', '-tls1_2'])).port;
    mtls = (await startSServer([...base, '-Verify', '1', '-CAfile', pki.caPath, '-verify_return_error'])).port;
    hrr = (await startSServer([...base, '-groups', 'P-256'])).port;
  });

  async function get(port: number, opts = clientOptions(pki), sni = 'localhost') {
    const connector = pureBackend.createConnector(opts);
    const sock = await tcpConnect(port);
    const stream = await connector.connect(sock, { sni, addr: `127.0.0.1:${port}` });
    stream.write('GET / HTTP/1.0\r\n\r\n');
    const page = await readUntil(stream, /<\/HTML>|<\/html>/i);
    stream.destroy();
    return { page, digest: stream.digest };
  }

  // OpenSSL 3.0 has no ML-KEM: of our two shares (X25519MLKEM768, x25519) it takes x25519.
  it('TLS 1.3 with ALPN h2', async () => {
    const { page, digest } = await get(ecdsa13, clientOptions(pki, { alpn: Alpn.H2H1 }));
    expect(page).toMatch(/Protocol\s*:\s*TLSv1.3/);
    expect(digest).toMatchObject({ version: 'TLSv1.3', alpn: 'h2', group: 'x25519' });
    expect(digest.peerCertificate?.sha256).toBe(pki.ecdsa.sha256);
  });

  it('TLS 1.3 HelloRetryRequest to P-256', async () => {
    const { page, digest } = await get(hrr);
    expect(page).toMatch(/TLSv1.3/);
    expect(digest.group).toBe('secp256r1');
  });

  it('TLS 1.2 ECDHE-RSA against a 1.2-only server', async () => {
    const { page, digest } = await get(rsa12);
    expect(page).toMatch(/TLSv1.2/);
    expect(digest.version).toBe('TLSv1.2');
    expect(digest.cipher).toMatch(/^TLS_ECDHE_RSA_WITH_/);
  });

  it('client certificate to a server that requires one', async () => {
    const { page } = await get(mtls, clientOptions(pki, { clientCertKey: pki.client.certKey }));
    expect(page).toMatch(/TLSv1.3/);
  });

  it('hostname mismatch is InvalidCertError', async () => {
    await expect(get(ecdsa13, clientOptions(pki), 'nomatch.example')).rejects.toBeInstanceOf(InvalidCertError);
  });
});
