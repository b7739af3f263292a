import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { curl } from '../peers/curl.js';

export interface RunningGateway {
  child: ChildProcess;
  port: number;
}

/**
 * A gateway app's demo (self-signed certificate, embedded origin) in its own process on a free
 * port, its certificate cached in `cacheDir`; resolves once it says it listens on `backend`.
 */
export async function startDemoGateway(appMain: string, cacheDir: string, backend: string): Promise<RunningGateway> {
  const child = spawn(process.execPath, [appMain, '--port', '0'], {
    env: { ...process.env, XDG_CACHE_HOME: cacheDir }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const listening = new RegExp(`listening on https://[^\\s]+:(\\d+) \\(TLS backend ${backend}`);
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start:\n${out}`)), 20_000);
    const onData = (d: Buffer): void => {
      out += d.toString();
      const m = listening.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`gateway exited (${code}):\n${out}`)));
  });
  return { child, port };
}

/**
 * The demo gateway app of one backend, in its own process, reached with curl over h2 (TLS 1.3)
 * and over http/1.1 (TLS 1.2, an RSA suite): what every `apps/gateway-<backend>` test checks.
 */
export function describeDemoGatewayApp(opts: { appMain: string; expectedBackend: string; label: string }): void {
  let gw: RunningGateway | undefined;
  let cacheDir: string | undefined;
  afterEach(() => {
    if (gw && gw.child.exitCode === null) gw.child.kill('SIGKILL');
    if (cacheDir) rmSync(cacheDir, { recursive: true, force: true });
  });

  describe(`apps/gateway on ${opts.label}`, () => {
    it(`serves the demo over h2 and http/1.1 with the ${opts.label} backend`, async () => {
      cacheDir = mkdtempSync(join(tmpdir(), 'gw-app-cache-'));
      gw = await startDemoGateway(opts.appMain, cacheDir, opts.expectedBackend);
      const b = opts.expectedBackend;
      const h2 = await curl({ port: gw.port, http: '2', insecure: true });
      expect(h2.status).toBe(200);
      expect(h2.alpn).toBe('h2');
      expect(h2.body).toMatch(new RegExp(`via gateway TLS: ${b} TLSv1\\.3`));
      const h1 = await curl({ port: gw.port, http: '1.1', insecure: true, tls: '1.2' });
      expect(h1.status).toBe(200);
      expect(h1.body).toMatch(new RegExp(`via gateway TLS: ${b} TLSv1\\.2 TLS_ECDHE_RSA_WITH_\\S+ \\S+ alpn=http/1\\.1`));
    });
  });
}
