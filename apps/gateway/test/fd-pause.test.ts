// The file-descriptor guard end to end: the built gateway in its own process under
// `prlimit --nofile=256`, flooded with idle connections past its limit. It must pause accepting
// (a warn line, LIMIT_FILE_DESCRIPTORS in proxy_limits_reached_total, proxy_accept_paused 1),
// survive, and accept and proxy again once the flood is gone.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, metricSum, parsePrometheus } from '@proxy/testkit';

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const FD_LIMIT = 256;
const hasPrlimit = spawnSync('prlimit', ['--version']).status === 0;

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false, timeout: 3000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** Opens a connection; resolves with the socket once connected, or undefined when refused or reset. */
function open(port: number): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => resolve(s));
    s.once('error', () => resolve(undefined));
    s.setTimeout(3000, () => {
      s.destroy();
      resolve(undefined);
    });
  });
}

describe.skipIf(!hasPrlimit)(`file-descriptor guard (prlimit --nofile=${FD_LIMIT})`, () => {
  let dir: string;
  let origin: http.Server;
  let gw: ChildProcess;
  let port = 0;
  let metricsPort = 0;
  let output = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gw-fd-'));
    origin = http.createServer((req, res) => res.end(`origin ${req.url ?? ''}`));
    await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
    port = await freePort();
    metricsPort = await freePort();
    const config = join(dir, 'gateway.yaml');
    writeFileSync(config, [
      `metrics: 127.0.0.1:${metricsPort}`,
      'request_header_timeout_ms: 60000',
      'listeners:',
      `  - address: 127.0.0.1:${port}`,
      'routes:',
      `  - upstream: 127.0.0.1:${(origin.address() as AddressInfo).port}`,
      '',
    ].join('\n'));
    gw = spawn('prlimit', [`--nofile=${FD_LIMIT}:${FD_LIMIT}`, '--', process.execPath, main, '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    gw.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    gw.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    for (const deadline = Date.now() + 15_000; !/gateway listening on http:\/\//.test(output);) {
      if (Date.now() > deadline || gw.exitCode !== null) throw new Error(`the gateway did not start:\n${output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }, 20_000);

  afterAll(async () => {
    if (gw && gw.exitCode === null) gw.kill('SIGKILL');
    await new Promise<void>((r) => origin.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('pauses accepting near the limit, survives the flood, and serves again once it is gone', async () => {
    expect((await get(port, '/before')).status).toBe(200);
    const held: Socket[] = [];
    let refused = 0;
    let cut = 0;
    // All at once: one burst of accepts overshoots the pause mark between two counts, and libuv
    // meets EMFILE silently (it accepts and closes the rest of the backlog, telling JS nothing),
    // so the guard must count once the burst stops (CI failed here with one-by-one opens).
    const all = await Promise.all(Array.from({ length: FD_LIMIT + 100 }, () => open(port)));
    for (const s of all) {
      if (s) {
        s.on('error', () => {});
        s.once('close', () => cut++);
        held.push(s);
      } else {
        refused++;
      }
    }
    try {
      await expect.poll(() => output, { timeout: 5000 }).toMatch(/file descriptors open of the limit 256 \(ulimit -n\): listeners paused/);
      // Accepting paused before the process ran out: connections past the pause were refused
      // (or, when the kernel had completed them in the backlog before the listening socket
      // closed, reset), so the gateway never held as many as its descriptor limit.
      await expect.poll(() => refused + cut, { timeout: 3000 }).toBeGreaterThan(0);
      expect(held.length - cut).toBeLessThan(FD_LIMIT);
      const paused = parsePrometheus(await fetchText(`http://127.0.0.1:${metricsPort}/metrics`));
      expect(metricSum(paused, 'proxy_accept_paused')).toBe(1);
      expect(metricSum(paused, 'proxy_limits_reached_total', { code: 'LIMIT_FILE_DESCRIPTORS' })).toBeGreaterThanOrEqual(1);
      expect(gw.exitCode).toBeNull();
    } finally {
      for (const s of held) s.destroy();
    }
    await expect.poll(() => output, { timeout: 5000 }).toMatch(/listeners accept again/);
    for (let i = 0; i < 5; i++) expect(await get(port, `/after-${i}`)).toEqual({ status: 200, body: `origin /after-${i}` });
    const after = parsePrometheus(await fetchText(`http://127.0.0.1:${metricsPort}/metrics`));
    expect(metricSum(after, 'proxy_accept_paused')).toBe(0);
    expect(gw.exitCode).toBeNull();
  }, 30_000);
});

async function fetchText(url: string): Promise<string> {
  const res = await fetch(url);
  return res.text();
}
