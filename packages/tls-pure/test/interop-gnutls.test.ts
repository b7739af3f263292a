import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import type { Server } from 'node:net';
import { TlsSettings, type TlsStream } from '@proxy/core';
import { pureBackend } from '../src/index.js';
import { makePki } from './support/pki.js';
import { listenWith } from './support/openssl.js';

const pki = makePki();
const servers: Server[] = [];
const kids: Array<ReturnType<typeof spawn>> = [];
afterAll(() => {
  for (const k of kids) k.kill('SIGKILL');
  for (const s of servers) s.close();
});

function gnutlsCli(port: number, priority: string, extra: string[] = []): Promise<string> {
  return new Promise((resolve) => {
    const p = spawn('gnutls-cli', ['--x509cafile', pki.caPath, '--port', String(port), `--priority=${priority}`, ...extra, 'localhost'], { stdio: ['pipe', 'pipe', 'pipe'] });
    kids.push(p);
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    const t = setTimeout(() => p.kill('SIGKILL'), 15_000);
    p.on('close', () => {
      clearTimeout(t);
      resolve(out);
    });
    setTimeout(() => p.stdin.write('ping\n'), 150);
    const waiter = setInterval(() => {
      if (out.includes('pong')) {
        clearInterval(waiter);
        p.stdin.end();
      }
    }, 20);
    setTimeout(() => clearInterval(waiter), 12_000);
  });
}

describe('pure server, gnutls-cli', () => {
  for (const [label, priority, cert, expected] of [
    ['TLS 1.3 ECDSA', 'NORMAL:-VERS-ALL:+VERS-TLS1.3', pki.ecdsa, /TLS1\.3/],
    ['TLS 1.3 RSA-PSS, ChaCha20', 'NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+CHACHA20-POLY1305', pki.rsa, /CHACHA20-POLY1305/],
    ['TLS 1.3 secp384r1 only (HelloRetryRequest)', 'NORMAL:-VERS-ALL:+VERS-TLS1.3:-GROUP-ALL:+GROUP-SECP384R1', pki.ecdsa, /SECP384R1/],
    ['TLS 1.2 ECDHE-ECDSA', 'NORMAL:-VERS-ALL:+VERS-TLS1.2', pki.ecdsa, /TLS1\.2/],
    ['TLS 1.2 ECDHE-RSA AES-128-GCM', 'NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-GCM', pki.rsa, /AES-128-GCM/],
  ] as const) {
    it(label, async () => {
      const digests: TlsStream['digest'][] = [];
      const acceptor = pureBackend.createAcceptor(TlsSettings.intermediate(cert.certPath, cert.keyPath));
      const { server, port } = await listenWith(() => acceptor, (s) => {
        digests.push(s.digest);
        s.on('data', () => s.write('pong\n'));
        s.on('end', () => s.end());
        s.on('error', () => {});
      });
      servers.push(server);
      const out = await gnutlsCli(port, priority);
      expect(out).toContain('pong');
      expect(out).toMatch(expected);
      expect(digests).toHaveLength(1);
    });
  }
});

describe('record_size_limit (RFC 8449) with gnutls-cli --recordsize', () => {
  for (const [label, priority] of [['TLS 1.3', 'NORMAL:-VERS-ALL:+VERS-TLS1.3'], ['TLS 1.2', 'NORMAL:-VERS-ALL:+VERS-TLS1.2']] as const) {
    it(`${label}: a 6000-byte answer arrives in records the client can take`, async () => {
      const acceptor = pureBackend.createAcceptor(TlsSettings.intermediate(pki.ecdsa.certPath, pki.ecdsa.keyPath));
      const { server, port } = await listenWith(() => acceptor, (s) => {
        s.on('data', () => s.write(`${'x'.repeat(6000)}pong\n`));
        s.on('end', () => s.end());
        s.on('error', () => {});
      });
      servers.push(server);
      const out = await gnutlsCli(port, priority, ['--recordsize=512']);
      expect(out).toContain(`${'x'.repeat(6000)}pong`);
    });
  }
});
