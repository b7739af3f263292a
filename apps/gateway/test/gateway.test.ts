// The main job end to end: the built gateway program in its own process, reached with curl.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createServer, type Server as HttpServer } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { curl, testPki } from '@proxy/testkit';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const running: ChildProcess[] = [];

interface Gateway {
  child: ChildProcess;
  /** "https" or "http" → port, from the "listening on" lines. */
  ports: Map<string, number>;
  output: () => string;
}

function startGateway(args: string[], env: Record<string, string> = {}, listeners = 1): Promise<Gateway> {
  const child = spawn(process.execPath, [MAIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  running.push(child);
  let out = '';
  const ports = new Map<string, number>();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start:\n${out}`)), 15_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      for (const m of out.matchAll(/listening on (https?):\/\/[^\s]+:(\d+)/g)) ports.set(m[1]!, Number(m[2]));
      if (ports.size >= listeners) {
        clearTimeout(timer);
        resolve({ child, ports, output: () => out });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`gateway exited with ${code}:\n${out}`)));
  });
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

afterEach(() => {
  for (const c of running.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

describe('the demo gateway (no arguments)', () => {
  it('serves its embedded origin over h2 and http/1.1 with a cached self-signed certificate', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'gw-cache-'));
    const gw = await startGateway(['--port', '0'], { XDG_CACHE_HOME: cache });
    const port = gw.ports.get('https')!;
    await expect.poll(() => gw.output(), { timeout: 3000 }).toContain(`curl -k --http2 https://localhost:${port}/`);
    const h2 = await curl({ port, http: '2', insecure: true });
    expect(h2.status).toBe(200);
    expect(h2.alpn).toBe('h2');
    expect(h2.body).toContain('Hello from the @proxy demo origin');
    expect(h2.body).toMatch(/via gateway TLS: openssl TLSv1\.3 \S+ \S+ alpn=h2/);
    const h1 = await curl({ port, http: '1.1', insecure: true });
    expect(h1.status).toBe(200);
    expect(h1.alpn).toBe('http/1.1');
    const exited = exitOf(gw.child);
    gw.child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});

describe('the gateway with a YAML config', () => {
  const pki = testPki();
  let origin: HttpServer;
  let originPort: number;
  /** Resolved when the origin starts answering /api/slow: the request is then surely in flight. */
  let slowArrived: () => void = () => undefined;

  beforeAll(async () => {
    origin = createServer((req, res) => {
      const reply = () => res.end(`origin ${req.url} pid-agnostic`);
      if (req.url?.startsWith('/api/slow')) {
        slowArrived();
        setTimeout(reply, 1200);
      }
      else reply();
    });
    await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
    originPort = (origin.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => origin.close(() => r())));

  it('runs N worker processes, routes by path, and finishes in-flight requests on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-conf-'));
    const conf = join(dir, 'gateway.yaml');
    writeFileSync(conf, [
      'threads: 2',
      'graceful_shutdown_timeout_seconds: 5',
      'listeners:',
      '  - address: 127.0.0.1:0',
      '    tls:',
      `      cert: ${pki.serverEcdsa.chain}`,
      `      key: ${pki.serverEcdsa.key}`,
      'routes:',
      '  - path: /api',
      `    upstream: 127.0.0.1:${originPort}`,
      '  - path: /',
      '    upstream: 127.0.0.1:1', // nothing listens there: 502
      '',
    ].join('\n'));
    const gw = await startGateway(['--config', conf], {}, 1);
    // Each worker prints its own "listening" line: wait for both, then count the processes.
    await expect.poll(() => gw.output().match(/listening on https/g)?.length ?? 0, { timeout: 10_000 }).toBe(2);
    const workers = execFileSync('pgrep', ['-P', String(gw.child.pid)]).toString().trim().split('\n');
    expect(workers).toHaveLength(2);
    const port = gw.ports.get('https')!;

    const ok = await curl({ port, http: '2', caFile: pki.caFile, path: '/api/x' });
    expect(ok.status).toBe(200);
    expect(ok.body).toBe('origin /api/x pid-agnostic');
    const bad = await curl({ port, http: '1.1', caFile: pki.caFile, path: '/other' });
    expect(bad.status).toBe(502);

    const arrived = new Promise<void>((resolve) => { slowArrived = resolve; });
    const inFlight = curl({ port, http: '1.1', caFile: pki.caFile, path: '/api/slow', timeoutMs: 10_000 });
    await arrived;
    const exited = exitOf(gw.child);
    gw.child.kill('SIGTERM');
    const slow = await inFlight;
    expect(slow.status).toBe(200);
    expect(slow.body).toBe('origin /api/slow pid-agnostic');
    expect(await exited).toBe(0);
  });

  it('refuses a config with a bad certificate path, naming the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-bad-'));
    const conf = join(dir, 'gateway.yaml');
    writeFileSync(conf, `listeners:\n  - address: 127.0.0.1:0\n    tls: { cert: ${dir}/missing.pem, key: ${dir}/k.pem }\nroutes:\n  - upstream: 127.0.0.1:1\n`);
    const child = spawn(process.execPath, [MAIN, '--config', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    running.push(child);
    let err = '';
    child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    expect(await exitOf(child)).toBe(1);
    expect(err).toContain(`${dir}/missing.pem`);
    expect(err).toMatch(/no such file/);
  });
});
