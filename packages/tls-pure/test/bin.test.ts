import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { makePki } from './support/pki.js';
import { killAll, runOpenssl, startSServer } from './support/openssl.js';

const pki = makePki();
const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const procs: ChildProcess[] = [];
afterAll(() => {
  for (const p of procs) p.kill('SIGKILL');
  killAll();
});

function run(args: string[], timeoutMs = 20_000): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [bin, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    procs.push(p);
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, out });
    });
    p.stdin.end();
  });
}

describe('proxy-tls-pure bin', () => {
  it('s_server answers openssl s_client with a page naming this backend', async () => {
    const p = spawn(process.execPath, [bin, 's_server', '-accept', '0', '-cert', pki.ecdsa.certPath, '-key', pki.ecdsa.keyPath, '-www'], { stdio: ['pipe', 'pipe', 'pipe'] });
    procs.push(p);
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      p.stdout.on('data', (d) => {
        out += d;
        const m = /ACCEPT (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      p.on('close', () => reject(new Error(out)));
    });
    const r = await runOpenssl(['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost', '-CAfile', pki.caPath, '-quiet'], (stdin) => {
      stdin.write('GET / HTTP/1.0\r\n\r\n');
    });
    expect(r.stdout).toContain('backend: pure');
    expect(r.stdout).toContain('version: TLSv1.3');
    p.kill('SIGTERM');
  });

  it('s_client connects to openssl s_server and prints the digest', async () => {
    const { port } = await startSServer(['-cert', pki.rsa.certPath, '-cert_chain', pki.intermediatePath, '-key', pki.rsa.keyPath, '-tls1_2']);
    const r = await run(['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost', '-CAfile', pki.caPath]);
    expect(r.out).toMatch(/DIGEST .*"version":"TLSv1.2"/);
    expect(r.out).toContain('"backend":"pure"');
  });
});
