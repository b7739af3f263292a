import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  TlsToolUsageError, digestToJson, errorCode, parseTlsToolArgs, runTlsTool,
  type SClientOptions, type SServerOptions,
} from '../src/tools/tls-tool.js';
import { InvalidCertError } from '../src/errors/index.js';

function server(...args: string[]): SServerOptions {
  const cmd = parseTlsToolArgs(['s_server', ...args]);
  if (cmd.command !== 's_server') throw new Error('not s_server');
  return cmd.options;
}

function client(...args: string[]): SClientOptions {
  const cmd = parseTlsToolArgs(['s_client', ...args]);
  if (cmd.command !== 's_client') throw new Error('not s_client');
  return cmd.options;
}

describe('s_server arguments', () => {
  it('reads the basic openssl-shaped flags', () => {
    const o = server('-accept', '0', '-cert', 'c.pem', '-key', 'k.pem');
    expect(o).toMatchObject({
      host: undefined, port: 0, cert: 'c.pem', key: 'k.pem', sni: [], alpn: undefined,
      minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3', clientAuth: 'none', www: false,
    });
  });

  it('accepts HOST:PORT and [v6]:PORT', () => {
    expect(server('-accept', '127.0.0.1:4433', '-cert', 'c', '-key', 'k')).toMatchObject({ host: '127.0.0.1', port: 4433 });
    expect(server('-accept', '[::1]:443', '-cert', 'c', '-key', 'k')).toMatchObject({ host: '::1', port: 443 });
  });

  it('collects repeated -servername/-cert2/-key2 groups for SNI', () => {
    const o = server(
      '-accept', '0', '-cert', 'c', '-key', 'k',
      '-servername', 'Other.Test', '-cert2', 'o.pem', '-key2', 'o.key',
      '-servername', 'third.test', '-key2', 't.key', '-cert2', 't.pem',
    );
    expect(o.sni).toEqual([
      { name: 'other.test', cert: 'o.pem', key: 'o.key' },
      { name: 'third.test', cert: 't.pem', key: 't.key' },
    ]);
  });

  it('maps -verify to optional and -Verify to required client auth, both needing -CAfile', () => {
    expect(server('-cert', 'c', '-key', 'k', '-CAfile', 'ca', '-verify', '1').clientAuth).toBe('optional');
    expect(server('-cert', 'c', '-key', 'k', '-CAfile', 'ca', '-Verify', '2').clientAuth).toBe('required');
    expect(() => server('-cert', 'c', '-key', 'k', '-Verify', '1')).toThrow(/-CAfile/);
    expect(() => server('-cert', 'c', '-key', 'k', '-CAfile', 'ca', '-verify', 'x')).toThrow(/-verify needs an integer/);
  });

  it('reads versions, ALPN, key log, -www and the extras', () => {
    const o = server(
      '-cert', 'c', '-key', 'k', '-tls1_3', '-alpn', 'h2,http/1.1', '-keylogfile', '/tmp/k.log', '-www',
      '-handshake_timeout', '300', '-naccept', '2', '-no_ticket',
    );
    expect(o).toMatchObject({
      minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', alpn: ['h2', 'http/1.1'], keylogFile: '/tmp/k.log',
      www: true, handshakeTimeoutMs: 300, naccept: 2, noTicket: true,
    });
    expect(server('-cert', 'c', '-key', 'k', '-tls1_2')).toMatchObject({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' });
  });

  it('refuses incomplete or unknown flags with a message naming them', () => {
    expect(() => server('-accept', '0')).toThrow(/-cert FILE and -key FILE/);
    expect(() => server('-cert', 'c', '-key')).toThrow(/-key needs a value/);
    expect(() => server('-cert', 'c', '-key', 'k', '-servername', 'a.test', '-cert2', 'a')).toThrow(/-cert2 and -key2/);
    expect(() => server('-cert', 'c', '-key', 'k', '-cert2', 'a')).toThrow(/must follow -servername/);
    expect(() => server('-cert', 'c', '-key', 'k', '-bogus')).toThrow(TlsToolUsageError);
    expect(() => server('-accept', '70000', '-cert', 'c', '-key', 'k')).toThrow(/out of range/);
    expect(() => server('-accept', 'x', '-cert', 'c', '-key', 'k')).toThrow(/\[HOST:\]PORT/);
    expect(() => server('-cert', 'c', '-key', 'k', '-alpn', 'h2,,x')).toThrow(/-alpn/);
  });
});

describe('s_client arguments', () => {
  it('verifies by default and sends the host name as SNI', () => {
    const o = client('-connect', 'localhost:4433');
    expect(o).toMatchObject({
      host: 'localhost', port: 4433, servername: 'localhost', verify: true, verifyHostname: undefined,
      caFile: undefined, cert: undefined, key: undefined, ignoreEof: false,
    });
  });

  it('sends no SNI to an IP address unless told to', () => {
    expect(client('-connect', '127.0.0.1:1').servername).toBe('');
    expect(client('-connect', '[::1]:1').servername).toBe('');
    expect(client('-connect', '127.0.0.1:1', '-servername', 'test.local').servername).toBe('test.local');
    expect(client('-connect', 'localhost:1', '-noservername').servername).toBe('');
  });

  it('-verify_hostname names the checked host, and is the SNI when none is given', () => {
    expect(client('-connect', '127.0.0.1:1', '-verify_hostname', 'test.local')).toMatchObject({
      verifyHostname: 'test.local', servername: 'test.local',
    });
    expect(client('-connect', '127.0.0.1:1', '-verify_hostname', 'a.test', '-servername', 'b.test')).toMatchObject({
      verifyHostname: 'a.test', servername: 'b.test',
    });
  });

  it('reads -noverify, -CAfile, client certificate, ALPN, versions, key log', () => {
    const o = client(
      '-connect', 'h:1', '-noverify', '-CAfile', 'ca.pem', '-cert', 'c', '-key', 'k', '-alpn', 'my-proto',
      '-tls1_2', '-keylogfile', 'kl', '-handshake_timeout', '500', '-ign_eof',
    );
    expect(o).toMatchObject({
      verify: false, caFile: 'ca.pem', cert: 'c', key: 'k', alpn: ['my-proto'], minVersion: 'TLSv1.2',
      maxVersion: 'TLSv1.2', keylogFile: 'kl', handshakeTimeoutMs: 500, ignoreEof: true,
    });
  });

  it('refuses what it cannot run', () => {
    expect(() => client()).toThrow(/-connect HOST:PORT/);
    expect(() => client('-connect', '4433')).toThrow(/HOST:PORT/);
    expect(() => client('-connect', 'h:1', '-cert', 'c')).toThrow(/-cert and -key go together/);
    expect(() => client('-connect', 'h:1', '-servername', 'a', '-noservername')).toThrow(/exclude/);
    expect(() => client('-connect', 'h:1', '-www')).toThrow(/unknown flag "-www"/);
  });
});

describe('tool dispatch', () => {
  it('knows help and refuses unknown commands', () => {
    expect(parseTlsToolArgs([])).toEqual({ command: 'help' });
    expect(parseTlsToolArgs(['-help'])).toEqual({ command: 'help' });
    expect(() => parseTlsToolArgs(['s_time'])).toThrow(/unknown command "s_time"/);
  });

  it('runTlsTool exits 2 with the usage on a bad command line, 0 on help', async () => {
    const io = { stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough() };
    expect(await runTlsTool(['s_client'], io)).toBe(2);
    expect(String(io.stderr.read())).toMatch(/-connect HOST:PORT[\s\S]*usage:/);
    expect(await runTlsTool(['help'], io)).toBe(0);
    expect(String(io.stdout.read())).toMatch(/s_server -accept/);
  });

  it('runTlsTool reports a configuration error with its code and exit 1', async () => {
    const io = { stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough() };
    // Either no backend is registered in this process or the file is missing: both are config errors with a code.
    expect(await runTlsTool(['s_server', '-accept', '0', '-cert', '/nonexistent.pem', '-key', '/nonexistent.key'], io)).toBe(1);
    expect(String(io.stderr.read())).toMatch(/^ERROR (TLS_NO_BACKEND|TLS_CONFIG) /);
  });

  it('digestToJson keeps every field and makes dates and DER printable', () => {
    const der = Buffer.from([1, 2, 3]);
    const json = digestToJson({
      backend: 'openssl', version: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256', group: 'x25519', sni: 'a',
      alpn: 'h2', sessionReused: false,
      peerCertificate: {
        subject: 'CN=a', issuer: 'CN=b', commonName: 'a', organization: undefined, serial: '1F', sha256: 'AB',
        subjectAltNames: ['DNS:a'], validFrom: new Date(0), validTo: new Date(1000), der,
      },
    });
    expect(JSON.parse(JSON.stringify(json))).toMatchObject({
      cipher: 'TLS_AES_128_GCM_SHA256',
      peerCertificate: { subject: 'CN=a', validFrom: '1970-01-01T00:00:00.000Z', der: 'AQID' },
    });
  });

  it('errorCode prefers the ProxyError code', () => {
    expect(errorCode(new InvalidCertError('expired', 'x'))).toBe('TLS_INVALID_CERT');
    expect(errorCode(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe('ECONNREFUSED');
    expect(errorCode(new TypeError('x'))).toBe('TypeError');
  });
});
