// Operations of a gateway app end to end, on whichever backend the app was built with: the
// built program in its own process, driven with real HTTPS clients and signals.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import { createConnection, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { X509Certificate, randomBytes } from 'node:crypto';
import { connect as tlsConnect } from 'node:tls';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { testPki } from '../pki.js';

/** The cases of describeGatewayOperations, by exact name (knownIssues keys). */
export type GatewayOperationsCase =
  | 'metrics: a scrape after known traffic shows the exact counts'
  | 'metrics: with threads: 2 the primary sums both workers'
  | 'reload: ten reloads under keep-alive and new-connection load lose nothing; the new certificate shows; a broken one is refused'
  | 'reload: with threads: 2 the primary forwards SIGHUP to every worker'
  | 'reload: reload_certs_seconds picks up renewed certificate files without a signal'
  | 'reload: watch: true picks up renewals by rename and by symlink swap without a signal; a broken renewal keeps the old certificate'
  | 'upgrade: SIGUSR2, and a SIGHUP that changes threads 2 -> 3 -> 2, replace the workers under load with the code now on disk; a broken build is refused; nothing fails'
  | 'session IDs: a TLS 1.2 session without tickets resumes across workers where the backend shares the cache (threads: 2)'
  | 'ticket keys: with a shared key file a ticket from one worker resumes on the other (threads: 2)'
  | 'ticket keys: with threads: 2 and no key files the primary hands the same keys to both workers'
  | 'ticket keys: session_ticket_rotation_seconds rotates; old tickets resume for one more period where the backend holds two keys, then not'
  | 'ticket keys: two gateway processes given the same key file resume each other\'s tickets; rotation by replacing files and reloading'
  | 'reload: bad YAML is refused with the config error and the routes keep working'
  | 'logs: JSON lines, an access log line per request, and no secrets (key log, client certificate)';

/**
 * Why a case does not run on a backend: `limitation`, something the backend cannot do and its
 * features declare (the gateway refuses the setting with TLS_FEATURE_UNSUPPORTED, or the docs
 * say what it costs); `bug`, a fault to fix (remove the entry once fixed).
 */
export interface GatewayKnownIssue {
  kind: 'limitation' | 'bug';
  reason: string;
}

export interface GatewayOperationsOptions {
  /** The app's built entry point (dist/main.js). */
  main: string;
  /** The backend name the digest reports ("openssl", "pure", ...). */
  backend: string;
  /** The backend holds several session ticket keys (feature session-ticket-key-rotation). */
  ticketKeyRotation: boolean;
  /**
   * The backend's TLS 1.2 session-ID cache: `shared` by the workers (session-id-cache-shared),
   * `per-process` (session-id-cache only), or `none` (the gateway refuses session_id_cache).
   */
  sessionIdCache: 'shared' | 'per-process' | 'none';
  /** Cases that do not run on this backend, with the typed reason (printed in the skipped case's title). */
  knownIssues?: Partial<Record<GatewayOperationsCase, GatewayKnownIssue>>;
}

interface RunningGateway {
  child: ChildProcess;
  output: () => string;
  /** stdout alone (where `access_log: stdout` writes), whole lines in order. */
  stdout: () => string;
  httpsPort: number;
  /** Every listener's port, in the order of the listening lines. */
  ports: number[];
  metricsPort: number | undefined;
}

/** One sample of a Prometheus text exposition. */
export interface Sample { name: string; labels: Record<string, string>; value: number }

/** Parses the Prometheus text format (enough for prom-client's output). */
export function parsePrometheus(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[3] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[4]) });
  }
  return out;
}

/** The sum of a metric's samples whose labels include `match`. */
export function metricSum(samples: readonly Sample[], name: string, match: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v))
    .reduce((n, s) => n + s.value, 0);
}

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    httpGet(url, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => {
        body += d.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Runs the operations cases (metrics, reload, logs) against the app at `o.main`. */
export function describeGatewayOperations(o: GatewayOperationsOptions): void {
  const pki = testPki();
  const running: ChildProcess[] = [];
  let origin: HttpServer;
  let originPort = 0;

  /** Starts the app (or `entry`, a program that loads it) with `yaml`; resolves once `workers` listening lines came. */
  function start(yaml: string, dir: string, workers = 1, entry = o.main): Promise<RunningGateway> {
    const file = join(dir, 'gateway.yaml');
    writeFileSync(file, yaml);
    const child = spawn(process.execPath, [entry, '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    running.push(child);
    let out = '';
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`gateway did not start:\n${out}`)), 20_000);
      const onData = (d: Buffer): void => {
        out += d.toString();
        const listening = [...out.matchAll(/listening on https:\/\/[^\s"]+:(\d+)/g)];
        const metrics = /metrics on http:\/\/[^\s"]+:(\d+)\/metrics/.exec(out);
        const wantsMetrics = yaml.includes('metrics:');
        if (listening.length >= workers && (!wantsMetrics || metrics)) {
          clearTimeout(timer);
          resolve({
            child, output: () => out, stdout: () => stdout, httpsPort: Number(listening[0]![1]), ports: [...new Set(listening.map((m) => Number(m[1])))],
            metricsPort: metrics ? Number(metrics[1]) : undefined,
          });
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', (code) => reject(new Error(`gateway exited with ${code}:\n${out}`)));
    });
  }

  function stop(gw: RunningGateway): Promise<void> {
    return new Promise((resolve) => {
      if (gw.child.exitCode !== null) return resolve();
      gw.child.once('exit', () => resolve());
      gw.child.kill('SIGTERM');
    });
  }

  /** One HTTPS request; `agent` false: a new connection (and handshake) of its own. */
  function fetchHttps(port: number, path: string, agent: Agent | false = false, extra: { cert?: string; key?: string } = {}): Promise<{ status: number; body: string; serial?: string }> {
    return new Promise((resolve, reject) => {
      let responded = false;
      const req = httpsRequest({
        host: '127.0.0.1', port, path, servername: 'localhost', headers: { host: 'localhost' }, ca: pki.caPem, agent, ...extra,
      }, (res) => {
        responded = true;
        let body = '';
        res.on('data', (d: Buffer) => {
          body += d.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      });
      req.setTimeout(5000, () => req.destroy(new Error('request timed out')));
      req.on('error', (err: Error) => reject(Object.assign(err, { reusedSocket: req.reusedSocket, responded })));
      req.end();
    });
  }

  /** The serial of the certificate a fresh handshake shows. */
  function serialOf(port: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const s = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.caPem }, () => {
        const serial = s.getPeerX509Certificate()?.serialNumber ?? '';
        s.destroy();
        resolve(serial.toUpperCase());
      });
      s.once('error', reject);
    });
  }

  /** One request on a new connection, offering `session`; whether it resumed, and the newest ticket it got. */
  function tlsSession(port: number, session?: Buffer, opts: { path?: string; tls12?: boolean } = {}): Promise<{ reused: boolean; session: Buffer | undefined }> {
    return new Promise((resolve, reject) => {
      let latest: Buffer | undefined;
      let reused = false;
      const s = tlsConnect({
        host: '127.0.0.1', port, servername: 'localhost', ca: pki.caPem, session, ALPNProtocols: ['http/1.1'],
        ...(opts.tls12 ? { maxVersion: 'TLSv1.2' as const } : {}),
      }, () => {
        reused = s.isSessionReused();
        s.write(`GET ${opts.path ?? '/t'} HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n`);
      });
      s.on('session', (t: Buffer) => {
        latest = t;
      });
      s.on('data', () => undefined);
      s.once('error', reject);
      s.once('close', () => resolve({ reused, session: latest }));
      s.setTimeout(5000, () => s.destroy(new Error('timed out')));
    });
  }

  beforeAll(async () => {
    origin = createHttpServer((req, res) => res.end(`origin ${req.url}`));
    await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
    originPort = (origin.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => origin.close(() => r())));
  afterEach(() => {
    for (const c of running.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  });

  /** A gateway configuration for the upgrade cases: JSON logs, the access log on stdout (each line has the worker's pid). */
  function upgradeYaml(threads: number): string {
    return [
      `threads: ${threads}`,
      'log_format: json',
      'access_log: stdout',
      'listeners:',
      `  - { address: "127.0.0.1:0", tls: { cert: "${pki.serverEcdsa.chain}", key: "${pki.serverEcdsa.key}" } }`,
      'routes:',
      `  - { upstream: "127.0.0.1:${originPort}" }`,
      '',
    ].join('\n');
  }

  /** A program that says which build it is, then runs the app: what a new release on disk looks like to the primary. */
  function writeBuild(entry: string, build: string): string {
    writeFileSync(entry, [
      `process.stderr.write('build ${build} pid ' + process.pid + '\\n');`,
      `await import(${JSON.stringify(pathToFileURL(o.main).href)});`,
      '',
    ].join('\n'));
    return entry;
  }

  /** The worker pids the supervisor reported at start. */
  function supervisorPids(out: string): number[] {
    const m = /workers listening \(pids ([\d, ]+)\)/.exec(out);
    return m ? m[1]!.split(', ').map(Number) : [];
  }

  /** The worker pids of each applied upgrade, in order. */
  function upgrades(out: string): number[][] {
    return [...out.matchAll(/upgrade applied: \d+ workers \(([\d, ]+)\) serve/g)].map((m) => m[1]!.split(', ').map(Number));
  }

  /** The build each of `pids` said it runs. */
  function buildOf(out: string, pids: readonly number[]): string[] {
    const builds = new Map([...out.matchAll(/build (\S+) pid (\d+)/g)].map((m) => [Number(m[2]), m[1]!]));
    return pids.map((p) => builds.get(p) ?? 'none');
  }

  function isAlive(pid: number): boolean {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }

  /** The pid of the worker whose access log line has this path (waits for the line). */
  async function pidOfRequest(gw: RunningGateway, path: string): Promise<number> {
    const deadline = Date.now() + 5000;
    for (;;) {
      for (const line of gw.stdout().split('\n')) {
        if (!line.startsWith('{')) continue;
        const l = JSON.parse(line) as { msg?: string; path?: string; pid?: number };
        if (l.msg === 'access' && l.path === path) return l.pid!;
      }
      if (Date.now() > deadline) throw new Error(`no access log line for ${path}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  let servedSeq = 0;
  /** The pids that served `n` requests on new connections. */
  async function servedBy(gw: RunningGateway, n: number): Promise<number[]> {
    const pids = [];
    for (let i = 0; i < n; i++) {
      const path = `/served-${++servedSeq}`;
      expect((await fetchHttps(gw.httpsPort, path)).status).toBe(200);
      pids.push(await pidOfRequest(gw, path));
    }
    return pids;
  }

  /**
   * Keep-alive (two sockets) and new-connection traffic until stopped; every failure is recorded.
   * A request sent on a reused keep-alive connection that the server closed before any byte of a
   * response came back is sent again once, as HTTP clients do (RFC 9112 section 9.3.1: a client
   * may retry an idempotent request when the connection closes first): a draining worker closes
   * idle keep-alive connections, and a request can cross that close on the wire. Those retries
   * are counted apart; a request on a new connection is never retried.
   */
  function startLoad(port: number): { stop: () => Promise<{ ok: number; failures: string[]; retriedOnReusedConnection: number }> } {
    let running = true;
    let ok = 0;
    let retriedOnReusedConnection = 0;
    const failures: string[] = [];
    const keepAlive = new Agent({ keepAlive: true, maxSockets: 2 });
    const once = async (agent: Agent | false): Promise<void> => {
      try {
        const r = await fetchHttps(port, '/load', agent);
        if (r.status === 200) ok++;
        else failures.push(`status ${r.status}`);
      } catch (err) {
        const e = err as Error & { reusedSocket?: boolean; responded?: boolean };
        if (agent && e.reusedSocket && !e.responded) {
          retriedOnReusedConnection++;
          return once(false);
        }
        failures.push(e.message);
      }
    };
    const loop = async (agent: Agent | false): Promise<void> => {
      while (running) await once(agent);
    };
    const loops = [loop(keepAlive), loop(keepAlive), loop(false)];
    return {
      stop: async () => {
        running = false;
        await Promise.all(loops);
        keepAlive.destroy();
        return { ok, failures, retriedOnReusedConnection };
      },
    };
  }

  /** One case, or its skip with the typed reason from knownIssues. */
  function test(name: GatewayOperationsCase, fn: () => Promise<void>, timeoutMs = 60_000): void {
    const issue = o.knownIssues?.[name];
    if (issue) it.skip(`${name} (known ${issue.kind}: ${issue.reason})`, () => {});
    else it(name, fn, timeoutMs);
  }

  describe(`gateway operations (${o.backend})`, () => {
    test('metrics: a scrape after known traffic shows the exact counts', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'gw-metrics-'));
      const closed = await freePort();
      const gw = await start([
        'metrics: 127.0.0.1:0',
        'max_retries: 0',
        'listeners:',
        `  - { address: "127.0.0.1:0", tls: { cert: "${pki.serverEcdsa.chain}", key: "${pki.serverEcdsa.key}" } }`,
        'routes:',
        `  - { name: bad, path: /bad, upstream: "127.0.0.1:${closed}" }`,
        `  - { name: ok, upstream: "127.0.0.1:${originPort}" }`,
        '',
      ].join('\n'), dir);
      for (let i = 0; i < 3; i++) expect((await fetchHttps(gw.httpsPort, '/x')).status).toBe(200);
      expect((await fetchHttps(gw.httpsPort, '/bad')).status).toBe(502);
      // One handshake failure: plain text where a ClientHello should be.
      await new Promise<void>((resolve) => {
        const s = createConnection({ host: '127.0.0.1', port: gw.httpsPort }, () => s.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n'));
        s.on('data', () => undefined);
        s.on('error', () => undefined);
        s.once('close', () => resolve());
      });
      let samples: Sample[] = [];
      await expect.poll(async () => {
        samples = parsePrometheus((await get(`http://127.0.0.1:${gw.metricsPort}/metrics`)).body);
        return metricSum(samples, 'proxy_downstream_connections_open');
      }, { timeout: 5000 }).toBe(0);

      expect(metricSum(samples, 'proxy_tls_handshakes_total')).toBe(4);
      expect(metricSum(samples, 'proxy_tls_handshakes_total', { backend: o.backend, version: 'TLSv1.3', resumed: 'false' })).toBe(4);
      const hs = samples.filter((s) => s.name === 'proxy_tls_handshakes_total');
      expect(hs.every((s) => s.labels['cipher']!.startsWith('TLS_') && s.labels['group'] !== '')).toBe(true);
      expect(metricSum(samples, 'proxy_tls_handshake_failures_total')).toBe(1);
      const failure = samples.find((s) => s.name === 'proxy_tls_handshake_failures_total')!;
      expect(failure.labels['code']).toMatch(/^[A-Z][A-Za-z_]+$/);
      expect(metricSum(samples, 'proxy_tls_handshake_duration_seconds_count', { backend: o.backend })).toBe(5);
      expect(metricSum(samples, 'proxy_http_requests_total')).toBe(4);
      expect(metricSum(samples, 'proxy_http_requests_total', { status: '200', route: 'ok' })).toBe(3);
      expect(metricSum(samples, 'proxy_http_requests_total', { status: '502', route: 'bad' })).toBe(1);
      expect(metricSum(samples, 'proxy_http_request_duration_seconds_count')).toBe(4);
      const errors = samples.filter((s) => s.name === 'proxy_upstream_errors_total');
      expect(errors.map((s) => s.value)).toEqual([1]);
      expect(errors[0]!.labels['code']).toMatch(/CONNECT_REFUSED$/);
      const hits = metricSum(samples, 'proxy_upstream_pool_hits_total');
      const misses = metricSum(samples, 'proxy_upstream_pool_misses_total');
      expect(hits + misses).toBe(4);
      expect(misses).toBeGreaterThanOrEqual(2);
      expect(metricSum(samples, 'proxy_upstream_connect_duration_seconds_count')).toBe(misses - 1);
      expect(metricSum(samples, 'proxy_downstream_connections_total')).toBe(5);
      expect(metricSum(samples, 'proxy_downstream_received_bytes_total')).toBeGreaterThan(0);
      expect(metricSum(samples, 'proxy_downstream_sent_bytes_total')).toBeGreaterThan(0);
      await stop(gw);
    }, 60_000);

    test('metrics: with threads: 2 the primary sums both workers', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'gw-metrics2-'));
      const gw = await start([
        'metrics: 127.0.0.1:0',
        'threads: 2',
        'listeners:',
        `  - { address: "127.0.0.1:0", tls: { cert: "${pki.serverEcdsa.chain}", key: "${pki.serverEcdsa.key}" } }`,
        'routes:',
        `  - { name: ok, upstream: "127.0.0.1:${originPort}" }`,
        '',
      ].join('\n'), dir, 2);
      for (let i = 0; i < 6; i++) expect((await fetchHttps(gw.httpsPort, '/y')).status).toBe(200);
      const text = (await get(`http://127.0.0.1:${gw.metricsPort}/metrics`)).body;
      const samples = parsePrometheus(text);
      expect(metricSum(samples, 'proxy_tls_handshakes_total')).toBe(6);
      expect(metricSum(samples, 'proxy_http_requests_total', { status: '200', route: 'ok' })).toBe(6);
      await stop(gw);
    }, 60_000);

    test('reload: ten reloads under keep-alive and new-connection load lose nothing; the new certificate shows; a broken one is refused', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'gw-reload-'));
      const cert = join(dir, 'cert.pem');
      const key = join(dir, 'key.pem');
      const use = (c: { chain: string; key: string }): void => {
        copyFileSync(c.chain, cert);
        copyFileSync(c.key, key);
      };
      use(pki.serverEcdsa);
      const gw = await start([
        'listeners:',
        `  - { address: "127.0.0.1:0", tls: { cert: "${cert}", key: "${key}" } }`,
        'routes:',
        `  - { name: ok, upstream: "127.0.0.1:${originPort}" }`,
        '',
      ].join('\n'), dir);
      const ecdsaSerial = new X509Certificate(pki.serverEcdsa.certPem).serialNumber.toUpperCase();
      const rsaSerial = new X509Certificate(pki.serverRsa.certPem).serialNumber.toUpperCase();
      expect(await serialOf(gw.httpsPort)).toBe(ecdsaSerial);

      let running = true;
      let ok = 0;
      const failures: string[] = [];
      const keepAlive = new Agent({ keepAlive: true, maxSockets: 2 });
      const loop = async (agent: Agent | false): Promise<void> => {
        while (running) {
          try {
            const r = await fetchHttps(gw.httpsPort, '/load', agent);
            if (r.status === 200) ok++;
            else failures.push(`status ${r.status}`);
          } catch (err) {
            failures.push((err as Error).message);
          }
        }
      };
      const loops = [loop(keepAlive), loop(keepAlive), loop(false)];
      const reloads = (): number => gw.output().split('\n').filter((l) => l.includes('reloaded ')).length;
      for (let i = 1; i <= 10; i++) {
        use(i % 2 === 1 ? pki.serverRsa : pki.serverEcdsa);
        if (i === 10) use(pki.serverRsa);
        gw.child.kill('SIGHUP');
        await expect.poll(reloads, { timeout: 5000 }).toBe(i);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(await serialOf(gw.httpsPort)).toBe(rsaSerial);

      // A broken certificate: refused in one line, the running one keeps serving.
      copyFileSync(pki.bad.notPem, cert);
      gw.child.kill('SIGHUP');
      const refusals = (): string[] => gw.output().split('\n').filter((l) => l.includes('refused'));
      await expect.poll(() => refusals().length, { timeout: 5000 }).toBe(1);
      expect(refusals()[0]).toMatch(/reload of .*gateway\.yaml refused.*TLS_CONFIG/);
      await new Promise((r) => setTimeout(r, 300));
      expect(await serialOf(gw.httpsPort)).toBe(rsaSerial);

      running = false;
      await Promise.all(loops);
      keepAlive.destroy();
      expect(failures).toEqual([]);
      expect(ok).toBeGreaterThan(20);
      expect(refusals()).toHaveLength(1);
      await stop(gw);
    }, 60_000);

    test('reload: with threads: 2 the primary forwards SIGHUP to every worker', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'gw-reload2-'));
      const cert = join(dir, 'cert.pem');
      const key = join(dir, 'key.pem');
      copyFileSync(pki.serverEcdsa.chain, cert);
      copyFileSync(pki.serverEcdsa.key, key);
      const gw = await start([
        'threads: 2',
        'listeners:',
        `  - { address: "127.0.0.1:0", tls: { cert: "${cert}", key: "${key}" } }`,
        'routes:',
        `  - { upstream: "127.0.0.1:${originPort}" }`,
        '',
      ].join('\n'), dir, 2);
      copyFileSync(pki.serverRsa.chain, cert);
      copyFileSync(pki.serverRsa.key, key);
      gw.child.kill('SIGHUP');
      const reloaded = (): number => gw.output().split('\n').filter((l) => l.includes('reloaded ')).length;
      await expect.poll(reloaded, { timeout: 10_000 }).toBe(2);
      await expect.poll(() => gw.output().includes('reload applied'), { timeout: 5000 }).toBe(true);
      const rsaSerial = new X509Certificate(pki.serverRsa.certPem).serialNumber.toUpperCase();
      // Both workers: every new handshake, wherever the kernel sends it, shows the new certificate.
      for (let i = 0; i < 8; i++) expect(await serialOf(gw.httpsPort)).toBe(rsaSerial);
      await stop(gw);
    }, 60_000);

    test('reload: reload_certs_seconds picks up renewed certificate files without a signal', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'gw-poll-'));
      const cert = join(dir, 'cert.pem');
      const key = join(dir, 'key.pem');
      copyFileSync(pki.serverEcdsa.chain, cert);
      copyFileSync(pki.serverEcdsa.key, key);
      const gw = await start([
        'reload_certs_seconds: 0.2',
        'listeners:',
        `  - { address: "127.0.0.1:0", tls: { cert: "${cert}", key: "${key}" } }`,
        'routes:',
        `  - { upstream: "127.0.0.1:${originPort}" }`,
        '',
      ].join('\n'), dir);
      copyFileSync(pki.serverRsa.key, key);
      copyFileSync(pki.serverRsa.chain, cert);
      const rsaSerial = new X509Certificate(pki.serverRsa.certPem).serialNumber.toUpperCase();
      await expect.poll(() => serialOf(gw.httpsPort), { timeout: 10_000, interval: 200 }).toBe(rsaSerial);
      await stop(gw);
    }, 60_000);

    test('reload: watch: true picks up renewals by rename and by symlink swap without a signal; a broken renewal keeps the old certificate', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'gw-watch-'));
      // Listener 1: plain files, renewed by writing a temporary file and renaming it over (certbot --deploy-hook style copies, acme.sh).
      const cert = join(dir, 'cert.pem');
      const key = join(dir, 'key.pem');
      copyFileSync(pki.serverEcdsa.chain, cert);
      copyFileSync(pki.serverEcdsa.key, key);
      const renameIn = (from: string, to: string): void => {
        copyFileSync(from, `${to}.tmp`);
        renameSync(`${to}.tmp`, to);
      };
      // Listener 2: a Kubernetes secret volume: tls.crt -> ..data/tls.crt, ..data -> a versioned directory, swapped atomically.
      const secret = join(dir, 'secret');
      const version = (name: string, c: { chain: string; key: string }): void => {
        mkdirSync(join(secret, name), { recursive: true });
        copyFileSync(c.chain, join(secret, name, 'tls.crt'));
        copyFileSync(c.key, join(secret, name, 'tls.key'));
      };
      version('..v1', pki.serverEcdsa);
      symlinkSync('..v1', join(secret, '..data'));
      symlinkSync(join('..data', 'tls.crt'), join(secret, 'tls.crt'));
      symlinkSync(join('..data', 'tls.key'), join(secret, 'tls.key'));
      const gw = await start([
        'listeners:',
        `  - { address: "127.0.0.1:0", tls: { cert: "${cert}", key: "${key}", watch: true } }`,
        `  - { address: "127.0.0.1:0", tls: { cert: "${join(secret, 'tls.crt')}", key: "${join(secret, 'tls.key')}", watch: true } }`,
        'routes:',
        `  - { upstream: "127.0.0.1:${originPort}" }`,
        '',
      ].join('\n'), dir, 2);
      const [port1, port2] = gw.ports as [number, number];
      const ecdsaSerial = new X509Certificate(pki.serverEcdsa.certPem).serialNumber.toUpperCase();
      const rsaSerial = new X509Certificate(pki.serverRsa.certPem).serialNumber.toUpperCase();
      expect(await serialOf(port1)).toBe(ecdsaSerial);
      expect(await serialOf(port2)).toBe(ecdsaSerial);

      // Renewal by rename: key first, then certificate (a checker between the two sees a mismatch, then the pair).
      renameIn(pki.serverRsa.key, key);
      renameIn(pki.serverRsa.chain, cert);
      await expect.poll(() => serialOf(port1), { timeout: 5000, interval: 100 }).toBe(rsaSerial);

      // Renewal by symlink swap: a new versioned directory, then ..data re-pointed with one rename.
      version('..v2', pki.serverRsa);
      symlinkSync('..v2', join(secret, '..data_tmp'));
      renameSync(join(secret, '..data_tmp'), join(secret, '..data'));
      await expect.poll(() => serialOf(port2), { timeout: 5000, interval: 100 }).toBe(rsaSerial);

      // A broken renewal: a certificate whose key is not there yet. One clear line; the old certificate keeps serving.
      const refusals = (): string[] => gw.output().split('\n').filter((l) => l.includes('certificate files changed (watch) but were refused'));
      const before = refusals().length;
      renameIn(pki.serverEcdsa.chain, cert);
      await expect.poll(() => refusals().length, { timeout: 5000, interval: 50 }).toBe(before + 1);
      expect(refusals().at(-1)).toMatch(/TLS_CONFIG/);
      await new Promise((r) => setTimeout(r, 600));
      expect(refusals()).toHaveLength(before + 1);
      expect(await serialOf(port1)).toBe(rsaSerial);
      expect(await serialOf(port2)).toBe(rsaSerial);
      // The matching key arrives later: picked up.
      renameIn(pki.serverEcdsa.key, key);
      await expect.poll(() => serialOf(port1), { timeout: 5000, interval: 100 }).toBe(ecdsaSerial);
      expect(await serialOf(port2)).toBe(rsaSerial);
      expect(gw.output()).not.toMatch(/SIGHUP received/);
      await stop(gw);
    });

    test('upgrade: SIGUSR2, and a SIGHUP that changes threads 2 -> 3 -> 2, replace the workers under load with the code now on disk; a broken build is refused; nothing fails', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'gw-upgrade-'));
      const entry = join(dir, 'entry.mjs');
      const gw = await start(upgradeYaml(2), dir, 2, writeBuild(entry, 'build-1'));
      await expect.poll(() => supervisorPids(gw.output()).length, { timeout: 5000, interval: 20 }).toBe(2);
      let workers = supervisorPids(gw.output());
      expect(buildOf(gw.output(), workers)).toEqual(['build-1', 'build-1']);
      const load = startLoad(gw.httpsPort);
      // Each step: a new build on disk, then the trigger; the new generation runs it, the old one drains and exits.
      const resize = (threads: number): void => {
        writeFileSync(join(dir, 'gateway.yaml'), upgradeYaml(threads));
        gw.child.kill('SIGHUP');
      };
      const steps: Array<{ build: string; threads: number; trigger: () => void }> = [
        { build: 'build-2', threads: 2, trigger: () => gw.child.kill('SIGUSR2') },
        { build: 'build-3', threads: 3, trigger: () => resize(3) },
        { build: 'build-4', threads: 2, trigger: () => resize(2) },
      ];
      for (const [i, step] of steps.entries()) {
        writeBuild(entry, step.build);
        step.trigger();
        await expect.poll(() => upgrades(gw.output()).length, { timeout: 30_000, interval: 50 }).toBe(i + 1);
        const next = upgrades(gw.output()).at(-1)!;
        expect(next).toHaveLength(step.threads);
        expect(next.filter((p) => workers.includes(p))).toEqual([]);
        expect(next.every(isAlive)).toBe(true);
        // The new processes run the file as it is now.
        expect(buildOf(gw.output(), next)).toEqual(next.map(() => step.build));
        // The old ones drain and exit.
        await expect.poll(() => workers.filter(isAlive), { timeout: 15_000, interval: 50 }).toEqual([]);
        workers = next;
      }
      // A SIGHUP that leaves threads alone is an ordinary reload: the same workers.
      gw.child.kill('SIGHUP');
      await expect.poll(() => /reload applied/.test(gw.output()), { timeout: 10_000, interval: 50 }).toBe(true);
      // A build that cannot start: refused, the running workers keep serving.
      writeFileSync(entry, 'throw new Error("this build is broken");\n');
      gw.child.kill('SIGUSR2');
      await expect.poll(() => /upgrade refused/.test(gw.output()), { timeout: 30_000, interval: 50 }).toBe(true);
      expect(upgrades(gw.output())).toHaveLength(steps.length);
      expect(workers.filter(isAlive)).toEqual(workers);
      await new Promise((r) => setTimeout(r, 200));
      const { ok, failures, retriedOnReusedConnection } = await load.stop();
      expect(failures).toEqual([]);
      expect(ok).toBeGreaterThan(30);
      // Rare (a loaded machine): at most one per drained keep-alive connection.
      expect(retriedOnReusedConnection).toBeLessThanOrEqual(2 * steps.length);
      // Requests now land on the last generation only.
      const served = await servedBy(gw, 6);
      expect(served.every((p) => workers.includes(p))).toBe(true);
      await stop(gw);
    }, 120_000);

    test('session IDs: a TLS 1.2 session without tickets resumes across workers where the backend shares the cache (threads: 2)', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'gw-session-id-'));
      const yaml = [
        'threads: 2',
        'log_format: json',
        'access_log: stdout',
        'listeners:',
        `  - { address: "127.0.0.1:0", tls: { cert: "${pki.serverEcdsa.chain}", key: "${pki.serverEcdsa.key}", session_tickets: false, session_id_cache: 1000 } }`,
        'routes:',
        `  - { upstream: "127.0.0.1:${originPort}" }`,
        '',
      ].join('\n');
      if (o.sessionIdCache === 'none') {
        // The backend has no session-ID cache: the setting is refused at start, with its code.
        await expect(start(yaml.replace('threads: 2', 'threads: 1'), dir)).rejects.toThrow(/\[TLS_FEATURE_UNSUPPORTED\]/);
        return;
      }
      const gw = await start(yaml, dir, 2);
      let n = 0;
      const once = async (session?: Buffer): Promise<{ reused: boolean; session: Buffer | undefined; pid: number }> => {
        const path = `/sid-${++n}`;
        const r = await tlsSession(gw.httpsPort, session, { path, tls12: true });
        return { ...r, pid: await pidOfRequest(gw, path) };
      };
      const first = await once();
      expect(first.reused).toBe(false);
      expect(first.session).toBeDefined();
      const seen: Array<{ reused: boolean; pid: number }> = [];
      // The primary hands connections to the workers in turn: loop until both served the session.
      for (let i = 0; i < 12 && !(seen.some((s) => s.pid === first.pid) && seen.some((s) => s.pid !== first.pid)); i++) {
        const r = await once(first.session);
        seen.push({ reused: r.reused, pid: r.pid });
      }
      const same = seen.filter((s) => s.pid === first.pid);
      const other = seen.filter((s) => s.pid !== first.pid);
      expect(same.length).toBeGreaterThan(0);
      expect(other.length).toBeGreaterThan(0);
      expect(same.every((s) => s.reused)).toBe(true);
      if (o.sessionIdCache === 'shared') {
        expect(other.every((s) => s.reused)).toBe(true);
      } else {
        // Declared: each worker has its own cache, and the gateway says so once at start.
        expect(other.every((s) => !s.reused)).toBe(true);
        expect(gw.output()).toMatch(/each worker keeps its own TLS 1\.2 session-ID cache/);
      }
      await stop(gw);
    });

    test('ticket keys: with a shared key file a ticket from one worker resumes on the other (threads: 2)', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'gw-tickets-'));
      const k1 = join(dir, 'k1.key');
      writeFileSync(k1, randomBytes(80), { mode: 0o600 });
      const gw = await start([
        'threads: 2',
        `session_ticket_key_files: ["${k1}"]`,
        'listeners:',
        `  - { address: "127.0.0.1:0", tls: { cert: "${pki.serverEcdsa.chain}", key: "${pki.serverEcdsa.key}" } }`,
        'routes:',
        `  - { upstream: "127.0.0.1:${originPort}" }`,
        '',
      ].join('\n'), dir, 2);
      const first = await tlsSession(gw.httpsPort);
      expect(first.reused).toBe(false);
      expect(first.session).toBeDefined();
      // The primary hands connections to the workers in turn: these land on both.
      const again = [];
      for (let i = 0; i < 4; i++) again.push((await tlsSession(gw.httpsPort, first.session)).reused);
      expect(again).toEqual([true, true, true, true]);
      await stop(gw);
    }, 60_000);

    test('ticket keys: with threads: 2 and no key files the primary hands the same keys to both workers', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'gw-tickets-primary-'));
      const gw = await start([
        'threads: 2',
        'listeners:',
        `  - { address: "127.0.0.1:0", tls: { cert: "${pki.serverEcdsa.chain}", key: "${pki.serverEcdsa.key}" } }`,
        'routes:',
        `  - { upstream: "127.0.0.1:${originPort}" }`,
        '',
      ].join('\n'), dir, 2);
      const first = await tlsSession(gw.httpsPort);
      const again = [];
      for (let i = 0; i < 4; i++) again.push((await tlsSession(gw.httpsPort, first.session)).reused);
      expect(again).toEqual([true, true, true, true]);
      await stop(gw);
    }, 60_000);

    test('ticket keys: session_ticket_rotation_seconds rotates; old tickets resume for one more period where the backend holds two keys, then not', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'gw-tickets-rotate-'));
      const gw = await start([
        'session_ticket_rotation_seconds: 3',
        'listeners:',
        `  - { address: "127.0.0.1:0", tls: { cert: "${pki.serverEcdsa.chain}", key: "${pki.serverEcdsa.key}" } }`,
        'routes:',
        `  - { upstream: "127.0.0.1:${originPort}" }`,
        '',
      ].join('\n'), dir);
      const rotations = (): number => gw.output().split('\n').filter((l) => l.includes('session ticket keys rotated')).length;
      await expect.poll(rotations, { timeout: 6000, interval: 50 }).toBeGreaterThanOrEqual(1);
      const n = rotations();
      const ticket = await tlsSession(gw.httpsPort);
      expect((await tlsSession(gw.httpsPort, ticket.session)).reused).toBe(true);
      await expect.poll(rotations, { timeout: 6000, interval: 50 }).toBe(n + 1);
      expect((await tlsSession(gw.httpsPort, ticket.session)).reused).toBe(o.ticketKeyRotation);
      await expect.poll(rotations, { timeout: 6000, interval: 50 }).toBe(n + 2);
      expect((await tlsSession(gw.httpsPort, ticket.session)).reused).toBe(false);
      await stop(gw);
    }, 60_000);

    test('ticket keys: two gateway processes given the same key file resume each other\'s tickets; rotation by replacing files and reloading', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'gw-tickets2-'));
      const k1 = join(dir, 'k1.key');
      const k2 = join(dir, 'k2.key');
      const k3 = join(dir, 'k3.key');
      for (const k of [k1, k2, k3]) writeFileSync(k, randomBytes(80), { mode: 0o600 });
      const yaml = (files: string[]): string => [
        `session_ticket_key_files: [${files.map((f) => `"${f}"`).join(', ')}]`,
        'listeners:',
        `  - { address: "127.0.0.1:0", tls: { cert: "${pki.serverEcdsa.chain}", key: "${pki.serverEcdsa.key}" } }`,
        'routes:',
        `  - { upstream: "127.0.0.1:${originPort}" }`,
        '',
      ].join('\n');
      const dirA = mkdtempSync(join(dir, 'a-'));
      const dirB = mkdtempSync(join(dir, 'b-'));
      const a = await start(yaml([k1]), dirA);
      const b = await start(yaml([k1]), dirB);
      const fromA = await tlsSession(a.httpsPort);
      expect(fromA.reused).toBe(false);
      expect((await tlsSession(b.httpsPort, fromA.session)).reused).toBe(true);
      const fromB = await tlsSession(b.httpsPort);
      expect((await tlsSession(a.httpsPort, fromB.session)).reused).toBe(true);

      // Rotation on A: k2 encrypts, k1 still decrypts where the backend holds several keys.
      writeFileSync(join(dirA, 'gateway.yaml'), yaml([k2, k1]));
      a.child.kill('SIGHUP');
      await expect.poll(() => a.output().includes('reloaded '), { timeout: 5000 }).toBe(true);
      expect((await tlsSession(a.httpsPort, fromA.session)).reused).toBe(o.ticketKeyRotation);
      const afterRotation = await tlsSession(a.httpsPort);
      // After the overlap (k1 gone) the old ticket no longer resumes; the newer one does while k2 is listed.
      writeFileSync(join(dirA, 'gateway.yaml'), yaml([k3, k2]));
      a.child.kill('SIGHUP');
      await expect.poll(() => a.output().split('\n').filter((l) => l.includes('reloaded ')).length, { timeout: 5000 }).toBe(2);
      expect((await tlsSession(a.httpsPort, fromA.session)).reused).toBe(false);
      if (o.ticketKeyRotation) expect((await tlsSession(a.httpsPort, afterRotation.session)).reused).toBe(true);
      await stop(a);
      await stop(b);
    }, 60_000);

    test('reload: bad YAML is refused with the config error and the routes keep working', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'gw-reload-yaml-'));
      const gw = await start([
        'listeners:',
        `  - { address: "127.0.0.1:0", tls: { cert: "${pki.serverEcdsa.chain}", key: "${pki.serverEcdsa.key}" } }`,
        'routes:',
        `  - { upstream: "127.0.0.1:${originPort}" }`,
        '',
      ].join('\n'), dir);
      writeFileSync(join(dir, 'gateway.yaml'), 'listeners: [ {\n');
      gw.child.kill('SIGHUP');
      await expect.poll(() => /reload of \S+ refused.*CONFIG/.test(gw.output()), { timeout: 5000 }).toBe(true);
      expect((await fetchHttps(gw.httpsPort, '/still')).body).toBe('origin /still');
      // A key that does not match the certificate: TLS_CONFIG, nothing applied.
      writeFileSync(join(dir, 'gateway.yaml'), [
        'listeners:',
        `  - { address: "127.0.0.1:${gw.httpsPort}", tls: { cert: "${pki.serverEcdsa.chain}", key: "${pki.serverRsa.key}" } }`,
        'routes:',
        '  - { upstream: "127.0.0.1:1" }',
        '',
      ].join('\n'));
      gw.child.kill('SIGHUP');
      await expect.poll(() => gw.output().split('\n').filter((l) => l.includes('refused')).length, { timeout: 5000 }).toBe(2);
      expect((await fetchHttps(gw.httpsPort, '/still')).body).toBe('origin /still');
      await stop(gw);
    }, 60_000);

    test('logs: JSON lines, an access log line per request, and no secrets (key log, client certificate)', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'gw-logs-'));
      const keylog = join(dir, 'keys.log');
      const access = join(dir, 'access.log');
      const gw = await start([
        'log_format: json',
        `access_log: "${access}"`,
        'listeners:',
        `  - { address: "127.0.0.1:0", tls: { cert: "${pki.serverEcdsa.chain}", key: "${pki.serverEcdsa.key}", keylog: "${keylog}", client_ca: "${pki.caBundle}", client_auth: optional } }`,
        'routes:',
        `  - { upstream: "127.0.0.1:${originPort}" }`,
        '',
      ].join('\n'), dir);
      expect((await fetchHttps(gw.httpsPort, '/a?q=1', false, { cert: pki.client.chainPem, key: pki.client.keyPem })).status).toBe(200);
      expect((await fetchHttps(gw.httpsPort, '/b')).status).toBe(200);
      await stop(gw);

      const lines = readFileSync(access, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatchObject({
        level: 'info', msg: 'access', method: 'GET', authority: 'localhost', path: '/a?q=1', status: 200,
        sni: 'localhost', tls_version: 'TLSv1.3', upstream: `127.0.0.1:${originPort}`, bytes: 'origin /a?q=1'.length,
      });
      expect(typeof lines[0]!['time']).toBe('string');
      expect(lines[0]!['pid']).toBe(gw.child.pid);
      expect(String(lines[0]!['client'])).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(String(lines[0]!['cipher'])).toMatch(/^TLS_/);
      expect(typeof lines[0]!['duration_ms']).toBe('number');

      const stderrLines = gw.output().trim().split('\n').filter((l) => l.startsWith('{'));
      expect(stderrLines.length).toBeGreaterThan(0);
      for (const l of stderrLines) expect(Object.keys(JSON.parse(l) as object).slice(0, 4)).toEqual(['time', 'level', 'pid', 'msg']);

      const secrets = readFileSync(keylog, 'utf8').trim().split('\n').map((l) => l.split(' ')[2]!).filter((s) => s && s.length >= 32);
      expect(secrets.length).toBeGreaterThan(0);
      const everything = gw.output() + readFileSync(access, 'utf8');
      for (const s of secrets) expect(everything.toLowerCase()).not.toContain(s.toLowerCase());
      const keyBody = pki.client.keyPem.split('\n')[1]!;
      const serverKeyBody = pki.serverEcdsa.keyPem.split('\n')[1]!;
      const certBody = pki.client.certPem.split('\n')[1]!;
      for (const s of [keyBody, serverKeyBody, certBody]) expect(everything).not.toContain(s);
    }, 60_000);
  });
}
