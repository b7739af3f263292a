// @proxy/gateway: config parsing (errors and defaults), route matching through a running
// gateway with real origins, and the demo defaults, on the OpenSSL backend over loopback.
import '@proxy/tls-openssl';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import tls from 'node:tls';
import { join } from 'node:path';
import { ConfigError, hasErrorCode, type Server } from '@proxy/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildGateway, demoConfig, ensureSelfSignedCert, tlsSettingsOf, loadGatewayConfig, parseGatewayArgs, parseGatewayConfig, type GatewayConfig,
} from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'proxy-gateway-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const minimal = () => ({ listeners: [{ address: '127.0.0.1:0' }], routes: [{ upstream: '127.0.0.1:1' }] });

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('CONFIG_INVALID');
    expect(hasErrorCode(err, 'CONFIG_INVALID')).toBe(true);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('gateway config: parsing errors are ConfigError (CONFIG_INVALID)', () => {
  it.each([
    ['the top level is not a mapping', ['a', 'b']],
    ['no listeners', { routes: [{ upstream: '127.0.0.1:1' }] }],
    ['an empty listener list', { listeners: [], routes: [{ upstream: '127.0.0.1:1' }] }],
    ['no routes', { listeners: [{ address: '127.0.0.1:0' }] }],
    ['a listener without an address', { ...minimal(), listeners: [{ tls: false }] }],
    ['a TLS listener without a key', { ...minimal(), listeners: [{ address: '127.0.0.1:0', tls: { cert: 'c.pem' } }] }],
    ['session_tickets that is not a boolean', { ...minimal(), listeners: [{ address: ':0', tls: { cert: 'c', key: 'k', session_tickets: 'yes' } }] }],
    ['an ALPN name that does not exist', { ...minimal(), listeners: [{ address: ':0', tls: { cert: 'c', key: 'k', alpn: 'h3' } }] }],
    ['a TLS version that does not exist', { ...minimal(), listeners: [{ address: ':0', tls: { cert: 'c', key: 'k', min_version: 'TLSv1.1' } }] }],
    ['a route without an upstream', { ...minimal(), routes: [{ path: '/' }] }],
    ['a route that is not a mapping', { ...minimal(), routes: ['127.0.0.1:1'] }],
    ['client_cert without client_key', { ...minimal(), routes: [{ upstream: '127.0.0.1:1', client_cert: 'c.pem' }] }],
    ['a timeout that is not a number', { ...minimal(), routes: [{ upstream: '127.0.0.1:1', read_timeout_ms: '5s' }] }],
    ['a body limit that is not a whole number', { ...minimal(), routes: [{ upstream: '127.0.0.1:1', max_request_body_bytes: 1.5 }] }],
    ['strict_sni that is not a boolean', { ...minimal(), listeners: [{ address: ':0', tls: { cert: 'c', key: 'k', strict_sni: 'yes' } }] }],
    ['server_names that is not a list', { ...minimal(), listeners: [{ address: ':0', tls: { cert: 'c', key: 'k', strict_sni: true, server_names: 'a.test' } }] }],
  ])('%s', (_name, doc) => {
    const err = configError(() => parseGatewayConfig(doc, 'test.yaml'));
    expect(err.message).toContain('test.yaml');
  });

  it('a file that does not exist: ConfigError naming it', () => {
    const path = join(dir, 'missing.yaml');
    expect(configError(() => loadGatewayConfig(path)).file).toBe(path);
  });

  it('a file that is not YAML: ConfigError naming it', () => {
    const path = join(dir, 'bad.yaml');
    writeFileSync(path, 'listeners: [\n  - address: "x\n');
    expect(configError(() => loadGatewayConfig(path)).file).toBe(path);
  });

  it('command line: unknown flags, missing values and bad ports are ConfigError', () => {
    configError(() => parseGatewayArgs(['--nope']));
    configError(() => parseGatewayArgs(['--config']));
    configError(() => parseGatewayArgs(['--port', '70000']));
    expect(parseGatewayArgs(['--port', '0', '--host', '::1', '-c', 'g.yaml'])).toEqual({ config: 'g.yaml', port: 0, host: '::1' });
  });
});

describe('gateway config: strict_sni and max_request_body_bytes', () => {
  it('strict_sni takes server_names, or the certificate\'s DNS names; the route body limit reaches the session', () => {
    const cert = ensureSelfSignedCert(join(dir, 'strict-cache'));
    const doc = {
      listeners: [
        { address: '127.0.0.1:0', tls: { cert: cert.cert, key: cert.key, strict_sni: true, server_names: ['api.test', '*.wild.test'] } },
        { address: '127.0.0.1:0', tls: { cert: cert.cert, key: cert.key, strict_sni: true } },
        { address: '127.0.0.1:0', tls: { cert: cert.cert, key: cert.key } },
      ],
      routes: [{ upstream: '127.0.0.1:1', max_request_body_bytes: 1024 }],
    };
    const c = parseGatewayConfig(doc, 'strict.yaml');
    const [named, fromCert, open] = c.listeners.map((l) => tlsSettingsOf(l)!);
    expect(named!.strictSni?.has('api.test')).toBe(true);
    expect(named!.strictSni?.has('a.wild.test')).toBe(true);
    expect(named!.strictSni?.has('localhost')).toBe(false);
    expect(fromCert!.strictSni?.has('localhost')).toBe(true);
    expect(open!.strictSni).toBeUndefined();
    expect(c.routes[0]!.maxRequestBodyBytes).toBe(1024);
    configError(() => tlsSettingsOf(parseGatewayConfig({ ...doc, listeners: [{ address: ':0', tls: { cert: cert.cert, key: cert.key, server_names: ['a.test'] } }] }, 'x.yaml').listeners[0]!));
  });
});

describe('gateway config: defaults', () => {
  it('a file with the minimum: listener and route defaults filled in', () => {
    const path = join(dir, 'ok.yaml');
    writeFileSync(path, [
      'threads: 1',
      'listeners:',
      '  - address: 127.0.0.1:0',
      '  - address: 127.0.0.1:0',
      '    tls: { cert: c.pem, key: k.pem, client_ca: ca.pem }',
      'routes:',
      '  - upstream: 127.0.0.1:9',
      '  - upstream: origin.test:443',
      '    host: API.Example.test',
      '    tls: true',
      '    verify: false',
      '',
    ].join('\n'));
    const c = loadGatewayConfig(path);
    expect(c.listeners[0]).toEqual({ address: '127.0.0.1:0', tls: undefined });
    expect(c.listeners[1]!.tls).toEqual({
      cert: 'c.pem', key: 'k.pem', alpn: 'h2h1', sessionTickets: true, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3',
      clientCa: 'ca.pem', clientAuth: 'required', keylog: undefined, strictSni: false, serverNames: undefined, watch: false, sessionIdCache: 0,
    });
    expect(c.routes[0]).toMatchObject({ host: undefined, path: '/', tls: false, verify: true, verifyHostname: true, alpn: 'h1', sni: undefined });
    // Hosts are matched case-insensitively; verify_hostname follows verify unless set.
    expect(c.routes[1]).toMatchObject({ host: 'api.example.test', tls: true, verify: false, verifyHostname: false });
    expect(c.server.threads).toBe(1);
  });
});

/** An HTTP origin that answers with its name and the request it saw. */
async function origin(name: string): Promise<{ server: http.Server; address: string }> {
  const server = http.createServer((req, res) => {
    res.setHeader('content-type', 'text/plain');
    res.end(`${name} ${req.url} proto=${req.headers['x-forwarded-proto']}`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, address: `127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function get(port: number, host: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, headers: { host }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    }).on('error', reject);
  });
}

async function startGateway(config: GatewayConfig): Promise<{ server: Server; port: number }> {
  const { server, service } = buildGateway(config);
  await server.start();
  return { server, port: service.addresses()[0]!.port };
}

describe('gateway routes: the first route whose host and path prefix match picks the upstream', () => {
  const origins: Array<{ server: http.Server; address: string }> = [];
  let gw: { server: Server; port: number };

  beforeAll(async () => {
    origins.push(await origin('exact'), await origin('wild'), await origin('api'), await origin('any'));
    const [exact, wild, api, any] = origins.map((o) => o.address);
    gw = await startGateway(parseGatewayConfig({
      grace_period_seconds: 0,
      graceful_shutdown_timeout_seconds: 1,
      listeners: [{ address: '127.0.0.1:0' }],
      routes: [
        { host: 'exact.test', upstream: exact },
        { host: '*.wild.test', upstream: wild },
        { host: 'other.test', path: '/api/', upstream: api },
        { host: 'fallback.test', upstream: any },
      ],
    }, 'routes test'));
  });
  afterAll(async () => {
    await gw?.server.stop();
    await Promise.all(origins.map((o) => new Promise((r) => o.server.close(r))));
  });

  it.each([
    ['exact.test', '/x', 200, 'exact /x proto=http'],
    ['EXACT.test:8080', '/y', 200, 'exact /y proto=http'],
    ['a.wild.test', '/', 200, 'wild / proto=http'],
    ['deep.a.wild.test', '/z', 200, 'wild /z proto=http'],
    ['other.test', '/api/v1', 200, 'api /api/v1 proto=http'],
    ['fallback.test', '/api/v1', 200, 'any /api/v1 proto=http'],
  ])('host %s path %s → %i %s', async (host, path, status, body) => {
    const r = await get(gw.port, host, path);
    expect(r.status).toBe(status);
    expect(r.body).toBe(body);
  });

  it.each([
    ['wild.test', '/'],
    ['other.test', '/ap'],
    ['nobody.test', '/'],
  ])('no route for host %s path %s: 404', async (host, path) => {
    const r = await get(gw.port, host, path);
    expect(r.status).toBe(404);
    expect(r.body).toContain('no route for');
  });
});

describe('gateway demo: the defaults with no config file', () => {
  let gw: { server: Server; port: number } | undefined;
  const cache = join(dir, 'cache');
  afterAll(async () => {
    await gw?.server.stop();
  });

  it('one TLS listener (h2 then http/1.1, TLS 1.2-1.3, tickets) in front of the embedded origin, on a cached self-signed certificate', async () => {
    const saved = process.env['XDG_CACHE_HOME'];
    process.env['XDG_CACHE_HOME'] = cache;
    let config: GatewayConfig;
    try {
      config = await demoConfig({ config: undefined, port: 0, host: '127.0.0.1' });
    } finally {
      if (saved === undefined) delete process.env['XDG_CACHE_HOME'];
      else process.env['XDG_CACHE_HOME'] = saved;
    }
    const cert = ensureSelfSignedCert(join(cache, 'proxy-gateway'));
    expect(config.listeners).toEqual([{
      address: '127.0.0.1:0',
      tls: {
        cert: cert.cert, key: cert.key, alpn: 'h2h1', sessionTickets: true, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3',
        clientCa: undefined, clientAuth: undefined, keylog: undefined, strictSni: false, serverNames: undefined, watch: false, sessionIdCache: 0,
      },
    }]);
    expect(config.routes).toHaveLength(1);
    expect(config.routes[0]).toMatchObject({ host: undefined, path: '/', tls: false });
    config.server.gracePeriodSeconds = 0;
    config.server.gracefulShutdownTimeoutSeconds = 1;

    gw = await startGateway(config);
    const res = await new Promise<{ status: number; body: string; alpn: string | false | null }>((resolve, reject) => {
      https.get({
        host: '127.0.0.1', port: gw!.port, path: '/hello', servername: 'localhost', rejectUnauthorized: false, agent: false,
        ALPNProtocols: ['http/1.1'],
      }, (r) => {
        let body = '';
        r.setEncoding('utf8');
        r.on('data', (c: string) => (body += c));
        r.on('end', () => resolve({ status: r.statusCode!, body, alpn: (r.socket as tls.TLSSocket).alpnProtocol }));
      }).on('error', reject);
    });
    expect(res.status).toBe(200);
    expect(res.body).toContain('Hello from the @proxy demo origin.');
    expect(res.body).toContain('GET /hello HTTP/1.1');
    expect(res.body).toContain('x-forwarded-proto: https');
    expect(res.body).toMatch(/via gateway TLS: openssl TLSv1\.3 /);
    expect(res.alpn).toBe('http/1.1');
    // A client offering both gets h2: the listener advertises h2 first.
    const alpn = await new Promise<string | false | null>((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port: gw!.port, servername: 'localhost', rejectUnauthorized: false, ALPNProtocols: ['h2', 'http/1.1'] }, () => {
        resolve(s.alpnProtocol);
        s.destroy();
      });
      s.on('error', reject);
    });
    expect(alpn).toBe('h2');
  });
});
