// The same gateway on the BoringSSL backend, in its own process, reached with curl over h2 and http/1.1.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { curl } from '@proxy/testkit';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
let child: ChildProcess | undefined;
afterEach(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
});

describe('apps/gateway-boring', () => {
  it('serves the demo over h2 and http/1.1 with the BoringSSL backend', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'gwb-cache-'));
    child = spawn(process.execPath, [MAIN, '--port', '0'], { env: { ...process.env, XDG_CACHE_HOME: cache }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listening line:\n${out}`)), 15_000);
      const onData = (d: Buffer) => {
        out += d.toString();
        const m = /listening on https:\/\/[^\s]+:(\d+) \(TLS backend boringssl/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      };
      child!.stdout!.on('data', onData);
      child!.stderr!.on('data', onData);
    });
    const h2 = await curl({ port, http: '2', insecure: true });
    expect(h2.status).toBe(200);
    expect(h2.alpn).toBe('h2');
    expect(h2.body).toMatch(/via gateway TLS: boringssl TLSv1\.3/);
    const h1 = await curl({ port, http: '1.1', insecure: true, tls: '1.2' });
    expect(h1.status).toBe(200);
    expect(h1.body).toMatch(/via gateway TLS: boringssl TLSv1\.2 TLS_ECDHE_RSA_WITH_\S+ \S+ alpn=http\/1\.1/);
  });
});
