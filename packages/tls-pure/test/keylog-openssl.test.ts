import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:net';
import { TlsSettings, closeKeylogFiles } from '@proxy/core';
import { pureBackend } from '../src/index.js';
import { makePki } from './support/pki.js';
import { clientOptions } from './support/options.js';
import { killAll, listenWith, readUntil, runOpenssl, startSServer, tcpConnect } from './support/openssl.js';

const pki = makePki();
const dir = mkdtempSync(join(tmpdir(), 'tls-pure-keylog-'));
const servers: Server[] = [];
afterAll(() => {
  killAll();
  for (const s of servers) s.close();
  closeKeylogFiles();
});

/** NSS key-log lines as a set of "LABEL random secret" strings, comments dropped. */
function lines(path: string): Set<string> {
  return new Set(readFileSync(path, 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.trim()));
}

const TLS13_LABELS = ['CLIENT_HANDSHAKE_TRAFFIC_SECRET', 'SERVER_HANDSHAKE_TRAFFIC_SECRET', 'CLIENT_TRAFFIC_SECRET_0', 'SERVER_TRAFFIC_SECRET_0', 'EXPORTER_SECRET'];

describe('NSS key log matches openssl for the same connection', () => {
  for (const version of ['-tls1_3', '-tls1_2']) {
    it(`pure server (file, mode 0600) vs openssl s_client -keylogfile, ${version}`, async () => {
      const ours = join(dir, `server${version}.log`);
      const theirs = join(dir, `s_client${version}.log`);
      const acceptor = pureBackend.createAcceptor(TlsSettings.intermediate(pki.ecdsa.certPath, pki.ecdsa.keyPath).setKeylog(ours).setSessionTickets(false));
      const { server, port } = await listenWith(() => acceptor, (s) => {
        s.on('data', () => s.end('bye\n'));
        s.on('error', () => {});
      });
      servers.push(server);
      const r = await runOpenssl(['s_client', '-connect', `127.0.0.1:${port}`, version, '-keylogfile', theirs, '-CAfile', pki.caPath], (stdin, out) => {
        setTimeout(() => stdin.write('hi\n'), 300);
        const t = setInterval(() => {
          if (out().includes('bye')) {
            clearInterval(t);
            stdin.end();
          }
        }, 20);
        setTimeout(() => clearInterval(t), 10_000);
      });
      expect(r.stdout).toContain('bye');
      const a = lines(ours);
      const b = lines(theirs);
      expect(a.size).toBeGreaterThan(0);
      expect([...a].sort()).toEqual([...b].sort());
      const labels = [...a].map((l) => l.split(' ')[0]);
      if (version === '-tls1_3') expect(labels.sort()).toEqual([...TLS13_LABELS].sort());
      else expect(labels).toEqual(['CLIENT_RANDOM']);
      expect(statSync(ours).mode & 0o777).toBe(0o600);
    });
  }

  it('pure client (callback) vs openssl s_server -keylogfile, TLS 1.3', async () => {
    const theirs = join(dir, 's_server.log');
    const { port } = await startSServer(['-cert', pki.ecdsa.certPath, '-cert_chain', pki.intermediatePath, '-key', pki.ecdsa.keyPath, '-www', '-keylogfile', theirs]);
    const got: string[] = [];
    const connector = pureBackend.createConnector(clientOptions(pki, { keylog: { callback: (l) => got.push(l) } }));
    const stream = await connector.connect(await tcpConnect(port), { sni: 'localhost', addr: `127.0.0.1:${port}` });
    stream.write('GET / HTTP/1.0\r\n\r\n');
    await readUntil(stream, /<\/HTML>/i);
    stream.destroy();
    await new Promise((r) => setTimeout(r, 200));
    const b = lines(theirs);
    expect(got.length).toBe(5);
    for (const l of got) expect(b.has(l)).toBe(true);
  });
});
