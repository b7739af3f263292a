import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { TlsSettings } from '@proxy/core';
import { afterAll, expect } from 'vitest';
import { opensslClient } from '../peers/openssl-cli.js';
import { BackendTestServer } from './backend-server.js';
import type { SuiteContext } from './context.js';

/** The four TLS 1.3 traffic secrets every key log must hold for a finished handshake. */
export const TLS13_LABELS = [
  'CLIENT_HANDSHAKE_TRAFFIC_SECRET', 'SERVER_HANDSHAKE_TRAFFIC_SECRET', 'CLIENT_TRAFFIC_SECRET_0', 'SERVER_TRAFFIC_SECRET_0',
];

/** NSS key-log lines: label → "client_random secret", for one file's text. */
export function parseKeylog(text: string): Array<{ label: string; clientRandom: string; secret: string }> {
  return text
    .split('\n')
    .filter((l) => l.length > 0 && !l.startsWith('#'))
    .map((l) => {
      const [label = '', clientRandom = '', secret = ''] = l.trim().split(/\s+/);
      return { label, clientRandom: clientRandom.toLowerCase(), secret: secret.toLowerCase() };
    });
}

/**
 * Resolves once `read()` holds `count` lines for `clientRandom`. Lines a callback collected are
 * there when the handshake is done; lines written to `watchFile` (by the backend or by another
 * process) are re-read on each change of its folder, no fixed sleeps. Rejects after `timeoutMs`.
 */
export function waitForKeylogLines(
  read: () => string, clientRandom: string, count: number, timeoutMs: number, watchFile?: string,
): Promise<void> {
  const enough = (): boolean => parseKeylog(read()).filter((l) => l.clientRandom === clientRandom).length >= count;
  if (enough()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const watcher = watchFile ? watch(dirname(watchFile), () => check()) : undefined;
    const timer = setTimeout(() => {
      watcher?.close();
      reject(new Error(`${watchFile ?? 'the key log'} has fewer than ${count} lines for client random ${clientRandom} after ${timeoutMs} ms`));
    }, timeoutMs);
    const check = (): void => {
      if (!enough()) return;
      clearTimeout(timer);
      watcher?.close();
      resolve();
    };
    // The file may have changed between the first check and the watch.
    check();
  });
}

/**
 * The key log must describe the very session a peer saw: the server's lines for a client
 * random equal the lines `openssl s_client -keylogfile` wrote for the same connection.
 */
export function keylogCases(ctx: SuiteContext): void {
  ctx.area('keylog', 'server: NSS key log', () => {
    let dir: string;
    let fileServer: BackendTestServer;
    let callbackServer: BackendTestServer;
    const callbackLines: string[] = [];
    ctx.beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'proxy-keylog-'));
      const { serverEcdsa: c } = ctx.pki();
      [fileServer, callbackServer] = await Promise.all([
        BackendTestServer.start(TlsSettings.intermediate(c.chain, c.key).setKeylog(join(dir, 'server.keylog')), 'echo'),
        BackendTestServer.start(TlsSettings.intermediate(c.chain, c.key).setKeylog((line) => callbackLines.push(line)), 'echo'),
      ]);
    });
    afterAll(async () => {
      await Promise.all([fileServer?.close(), callbackServer?.close()]);
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const compare = async (
      server: BackendTestServer, readServer: () => string, tls: '1.2' | '1.3', name: string, serverFile?: string,
    ): Promise<void> => {
      const clientFile = join(dir, `${name}.client.keylog`);
      const mark = server.mark();
      const r = await opensslClient({ port: server.port, servername: 'localhost', tls, keylogFile: clientFile, timeoutMs: ctx.ms(5000) });
      await server.digestAfter(mark);
      expect(r.code, r.output).toBe(0);
      const client = parseKeylog(readFileSync(clientFile, 'utf8'));
      expect(client.length).toBeGreaterThan(0);
      const clientRandom = client[0]!.clientRandom;
      const labels = tls === '1.3' ? TLS13_LABELS : ['CLIENT_RANDOM'];
      await waitForKeylogLines(readServer, clientRandom, labels.length, ctx.ms(2000), serverFile);
      const mine = parseKeylog(readServer()).filter((l) => l.clientRandom === clientRandom);
      for (const label of labels) {
        const s = mine.filter((l) => l.label === label);
        expect(s, `server lines labelled ${label} for client random ${clientRandom}`).toHaveLength(1);
        expect(s[0]!.secret).toBe(client.find((l) => l.label === label)?.secret);
      }
      // EXPORTER_SECRET is optional; when both wrote it, it must agree too.
      const exporter = mine.find((l) => l.label === 'EXPORTER_SECRET');
      const clientExporter = client.find((l) => l.label === 'EXPORTER_SECRET');
      if (exporter && clientExporter) expect(exporter.secret).toBe(clientExporter.secret);
      for (const l of mine) expect(l.secret).toMatch(/^[0-9a-f]{64,}$/);
    };

    ctx.test('TLS 1.3 to a file: one line per secret, equal to the client\'s, file mode 0600', async () => {
      const file = join(dir, 'server.keylog');
      await compare(fileServer, () => (existsSync(file) ? readFileSync(file, 'utf8') : ''), '1.3', 'f13', file);
      expect(statSync(file).mode & 0o777).toBe(0o600);
    });

    ctx.test('TLS 1.2 to a file: the CLIENT_RANDOM master secret equals the client\'s', async () => {
      const file = join(dir, 'server.keylog');
      await compare(fileServer, () => (existsSync(file) ? readFileSync(file, 'utf8') : ''), '1.2', 'f12', file);
    });

    ctx.test('TLS 1.3 to a callback: lines without newline, equal to the client\'s', async () => {
      await compare(callbackServer, () => callbackLines.join('\n'), '1.3', 'c13');
      for (const l of callbackLines) expect(l).not.toMatch(/\n$/);
    });
  }, ['keylog']);
}
