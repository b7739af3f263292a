// Operations pieces of core in isolation: the SNI peek used by the handshakeFailed hook, log
// line formatting and redaction, the async writer, the ServerConf keys, and the metrics hooks.
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { connect } from 'node:tls';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  AsyncLineWriter, ConfigError, InvalidCertError, ProxyMetrics, ServerConf, TlsAlertReceivedError, failureLabels, formatLine,
  sniOfClientHello,
} from '../src/index.js';

/** The first chunk a real Node TLS client sends (its ClientHello record). */
async function clientHello(servername: string | undefined): Promise<Buffer> {
  let sock: Socket | undefined;
  const server = createServer((s) => {
    sock = s;
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const chunk = await new Promise<Buffer>((resolve) => {
    server.once('connection', (s: Socket) => s.once('data', resolve));
    const c = connect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false });
    c.on('error', () => undefined);
  });
  sock?.destroy();
  server.close();
  return chunk;
}

describe('sniOfClientHello', () => {
  it('reads the server name of a real ClientHello, and nothing from other bytes', async () => {
    expect(sniOfClientHello(await clientHello('Example.TEST'))).toBe('example.test');
    // Node sends no SNI for an IP address.
    expect(sniOfClientHello(await clientHello(undefined))).toBeUndefined();
    expect(sniOfClientHello(Buffer.from('GET / HTTP/1.1\r\n\r\n'))).toBeUndefined();
    const hello = await clientHello('cut.test');
    for (const n of [0, 5, 9, 50, 100]) expect(() => sniOfClientHello(hello.subarray(0, n))).not.toThrow();
  });
});

describe('log lines', () => {
  const t = new Date('2026-01-02T03:04:05.000Z');
  it('JSON: time, level, pid, msg first, then the fields; secrets redacted, buffers never printed', () => {
    const line = formatLine('json', 'info', 'hello', { a: 1, private_key: 'PEM', keylog: '/x', token: 't', der: Buffer.alloc(3) }, t);
    const o = JSON.parse(line) as Record<string, unknown>;
    expect(Object.keys(o).slice(0, 4)).toEqual(['time', 'level', 'pid', 'msg']);
    expect(o).toMatchObject({ time: t.toISOString(), level: 'info', pid: process.pid, msg: 'hello', a: 1, private_key: '[redacted]', keylog: '[redacted]', token: '[redacted]', der: '[3 bytes]' });
  });
  it('text: a readable line with key=value fields', () => {
    expect(formatLine('text', 'warn', 'slow', { peer: '1.2.3.4:5', note: 'a b' }, t))
      .toBe(`2026-01-02T03:04:05.000Z WARN pid=${process.pid} slow peer=1.2.3.4:5 note="a b"\n`);
  });
  it('the async writer keeps order and flushes', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ops-log-')), 'x.log');
    const w = AsyncLineWriter.open(file);
    for (let i = 0; i < 1000; i++) w.write(`${i}\n`);
    await w.flush();
    w.close();
    expect(readFileSync(file, 'utf8')).toBe(Array.from({ length: 1000 }, (_, i) => `${i}\n`).join(''));
  });
});

describe('ServerConf operations keys', () => {
  it('parses metrics, log_format and access_log (off as a boolean too)', () => {
    const c = ServerConf.fromYaml('metrics: 127.0.0.1:9464\nlog_format: json\naccess_log: /var/log/a.log\n');
    expect([c.metrics, c.logFormat, c.accessLog]).toEqual(['127.0.0.1:9464', 'json', '/var/log/a.log']);
    expect(ServerConf.fromYaml('access_log: false\n').accessLog).toBe('off');
    expect(new ServerConf().accessLog).toBe('off');
    expect(() => ServerConf.fromYaml('log_format: xml\n')).toThrow(ConfigError);
  });
});

describe('metrics hooks', () => {
  it('count nothing until enabled, then label failures by code and reason', async () => {
    const m = new ProxyMetrics();
    m.handshakeFailed('pure', new InvalidCertError('unknown-ca', 'x'), 0.01);
    expect(await m.scrape()).not.toMatch(/proxy_tls_handshake_failures_total\{/);
    m.enable();
    m.handshakeFailed('pure', new InvalidCertError('unknown-ca', 'x'), 0.01);
    m.handshakeFailed('pure', new TlsAlertReceivedError(40, 'handshake_failure', 'downstream'), 0.01);
    const text = await m.scrape();
    // The codes as the error classes carry them (stable per class, whatever their spelling).
    const invalid = new InvalidCertError('unknown-ca', 'x').code;
    const alert = new TlsAlertReceivedError(40, 'handshake_failure', 'downstream').code;
    expect(text).toContain(`proxy_tls_handshake_failures_total{code="${invalid}",reason="unknown-ca"} 1`);
    expect(text).toContain(`proxy_tls_handshake_failures_total{code="${alert}",reason="handshake_failure"} 1`);
    expect(failureLabels(new Error('plain'))).toEqual({ code: 'UNKNOWN', reason: '' });
  });
});

describe('session ticket keys', () => {
  it('takes 48- and 80-byte keys, refuses other lengths, repeats and unreadable files, and needs the features', async () => {
    const { TlsSettings, TlsConfigError, loadTicketKeyFiles, ticketKey48 } = await import('../src/index.js');
    const { writeFileSync } = await import('node:fs');
    const { randomBytes } = await import('node:crypto');
    const dir = mkdtempSync(join(tmpdir(), 'ops-tk-'));
    const k80 = randomBytes(80);
    const k48 = randomBytes(48);
    writeFileSync(join(dir, 'a.key'), k80);
    writeFileSync(join(dir, 'b.key'), k48);
    writeFileSync(join(dir, 'bad.key'), randomBytes(32));
    expect(loadTicketKeyFiles([join(dir, 'a.key'), join(dir, 'b.key')])).toEqual([k80, k48]);
    expect(() => loadTicketKeyFiles([join(dir, 'bad.key')])).toThrow(TlsConfigError);
    expect(() => loadTicketKeyFiles([join(dir, 'missing.key')])).toThrow(TlsConfigError);
    expect(() => loadTicketKeyFiles([join(dir, 'a.key'), join(dir, 'a.key')])).toThrow(TlsConfigError);
    expect(ticketKey48(k48)).toEqual(k48);
    expect(ticketKey48(k80)).toEqual(Buffer.concat([k80.subarray(0, 32), k80.subarray(48, 64)]));
    // Settings built only to look at what they require; the test PKI is not needed for that.
    const s = Object.create(TlsSettings.prototype) as InstanceType<typeof TlsSettings>;
    Object.assign(s, { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', callbacks: {}, nativeHooks: [], sessionTickets: true, groupsSetByUser: false });
    s.setTicketKeys([k80]);
    expect(s.requiredFeatures().has('session-ticket-keys')).toBe(true);
    expect(s.requiredFeatures().has('session-ticket-key-rotation')).toBe(false);
    s.setTicketKeys([k80, k48]);
    expect(s.requiredFeatures().has('session-ticket-key-rotation')).toBe(true);
  });
});

describe('the TLS 1.2 session-ID cache', () => {
  it('a lone process keeps sessions in a bounded LRU per listener name; a store makes settings need session-id-cache-shared', async () => {
    const { SessionIdShare, TlsSettings } = await import('../src/index.js');
    const share = new SessionIdShare();
    const a = share.store('a:443', 2);
    const b = share.store('b:443', 2);
    const id = (n: number): Buffer => Buffer.alloc(32, n);
    a.set(id(1), Buffer.from('s1'));
    a.set(id(2), Buffer.from('s2'));
    expect(await a.get(id(1))).toEqual(Buffer.from('s1'));
    // Names are separate caches: a session of one listener never resumes on another.
    expect(await b.get(id(1))).toBeUndefined();
    a.set(id(3), Buffer.from('s3'));
    expect(share.size('a:443')).toBe(2);
    expect(await a.get(id(1))).toBeUndefined();
    expect(await a.get(id(3))).toEqual(Buffer.from('s3'));
    // The synchronous answer (tls-pure) is the same lookup in a lone process.
    expect(a.peek?.(id(3))).toEqual(Buffer.from('s3'));
    expect(a.peek?.(id(1))).toBeUndefined();

    const s = Object.create(TlsSettings.prototype) as InstanceType<typeof TlsSettings>;
    Object.assign(s, { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3', callbacks: {}, nativeHooks: [], sessionTickets: true, groupsSetByUser: false });
    s.setSessionIdCache(100);
    expect([...s.requiredFeatures()].filter((f) => f.startsWith('session-id'))).toEqual(['session-id-cache']);
    s.setSessionIdCache(100, a);
    expect([...s.requiredFeatures()].filter((f) => f.startsWith('session-id'))).toEqual(['session-id-cache', 'session-id-cache-shared']);
    // Off drops the store too.
    expect(s.setSessionIdCache(0, a).sessionIdStore).toBeUndefined();
  });
});
