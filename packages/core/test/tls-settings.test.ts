import { execFileSync } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Alpn, CertKey, TlsBackendConflictError, TlsConfigError, TlsNoBackendError, TlsSettings, keylogWriter,
  registerTlsBackend, tlsBackend, unregisterTlsBackendForTests, type TlsBackend,
} from '../src/index.js';

let dir: string;
let cert: string;
let key: string;
let otherKey: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'settings-'));
  cert = join(dir, 'cert.pem');
  key = join(dir, 'key.pem');
  otherKey = join(dir, 'other.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', key, '-out', cert, '-subj', '/CN=localhost', '-days', '2'], { stdio: 'ignore' });
  execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', otherKey], { stdio: 'ignore' });
});

function configError(fn: () => unknown): TlsConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TlsConfigError);
    return err as TlsConfigError;
  }
  throw new Error('expected a TlsConfigError');
}

describe('TlsSettings', () => {
  it('builds intermediate (1.2 + 1.3) and modern (1.3 only)', () => {
    const i = TlsSettings.intermediate(cert, key);
    expect([i.minVersion, i.maxVersion]).toEqual(['TLSv1.2', 'TLSv1.3']);
    expect(i.certKey?.keyType).toBe('ec');
    const m = TlsSettings.modern(cert, key);
    expect(m.minVersion).toBe('TLSv1.3');
    expect(m.requiredFeatures().has('tls1.2')).toBe(false);
  });

  it('names the file and the reason for a bad certificate or key', () => {
    const missing = configError(() => TlsSettings.intermediate(join(dir, 'nope.pem'), key));
    expect(missing.file).toBe(join(dir, 'nope.pem'));
    expect(missing.message).toMatch(/no such file/);

    const notPem = join(dir, 'not.pem');
    writeFileSync(notPem, 'hello\n');
    const e1 = configError(() => TlsSettings.intermediate(notPem, key));
    expect(e1.file).toBe(notPem);
    expect(e1.message).toMatch(/no PEM certificate/);

    const e2 = configError(() => TlsSettings.intermediate(cert, notPem));
    expect(e2.file).toBe(notPem);
    expect(e2.message).toMatch(/no PEM private key/);

    const mismatch = configError(() => TlsSettings.intermediate(cert, otherKey));
    expect(mismatch.file).toBe(otherKey);
    expect(mismatch.message).toMatch(/does not match/);

    const corrupt = join(dir, 'corrupt.pem');
    writeFileSync(corrupt, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    expect(configError(() => TlsSettings.intermediate(corrupt, key)).message).toMatch(/not valid DER/);
  });

  it('records ALPN, client auth, timeouts and the features they need', () => {
    const s = TlsSettings.intermediate(cert, key)
      .setAlpn(Alpn.custom('my-proto'))
      .setClientAuth({ ca: cert, required: false })
      .setHandshakeTimeout(500)
      .setSessionTickets(false);
    expect(s.alpn?.protocols).toEqual(['my-proto']);
    expect(s.clientAuth?.required).toBe(false);
    expect(s.handshakeTimeoutMs).toBe(500);
    expect([...s.requiredFeatures()]).toEqual(expect.arrayContaining(['alpn-custom', 'client-auth-optional', 'disable-session-tickets']));
    expect(() => s.setHandshakeTimeout(0)).toThrow(TlsConfigError);
    expect(() => Alpn.custom('')).toThrow(TypeError);
    expect(() => TlsSettings.withCallbacks({})).toThrow(TlsConfigError);
    expect(TlsSettings.withCallbacks({ certificate: () => undefined }, CertKey.fromFiles(cert, key)).profile).toBe('callbacks');
  });

  it('the session-ID cache is off by default; a size turns it on and needs the session-id-cache feature', () => {
    const s = TlsSettings.intermediate(cert, key);
    expect(s.sessionIdCacheSize).toBe(0);
    expect(s.requiredFeatures().has('session-id-cache')).toBe(false);
    s.setSessionIdCache(1000);
    expect(s.requiredFeatures().has('session-id-cache')).toBe(true);
    expect(() => s.setSessionIdCache(-1)).toThrow(TlsConfigError);
    expect(() => s.setSessionIdCache(1.5)).toThrow(TlsConfigError);
    expect(s.setSessionIdCache(0).requiredFeatures().has('session-id-cache')).toBe(false);
  });

  it('creates key-log files with mode 0600', () => {
    const file = join(dir, 'keys.log');
    const write = keylogWriter({ path: file })!;
    write('CLIENT_RANDOM 00 11');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toBe('CLIENT_RANDOM 00 11\n');
    expect(keylogWriter(undefined, {})).toBeUndefined();
    expect(keylogWriter(undefined, { SSLKEYLOGFILE: join(dir, 'env.log') })).toBeTypeOf('function');
  });
});

describe('backend registry', () => {
  const fake = (name: TlsBackend['name'], packageName: string): TlsBackend => ({
    name, packageName, library: 'none', features: new Set(),
    createAcceptor: () => { throw new Error('unused'); },
    createConnector: () => { throw new Error('unused'); },
  });

  it('throws TlsNoBackendError when TLS is used with no backend, and a conflict for a second one', () => {
    unregisterTlsBackendForTests();
    expect(() => tlsBackend()).toThrow(TlsNoBackendError);
    registerTlsBackend(fake('openssl', '@proxy/tls-openssl'));
    registerTlsBackend(fake('openssl', '@proxy/tls-openssl')); // the same package twice is fine
    try {
      registerTlsBackend(fake('pure', '@proxy/tls-pure'));
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(TlsBackendConflictError);
      expect((err as Error).message).toMatch(/@proxy\/tls-openssl.*@proxy\/tls-pure/);
      expect((err as TlsBackendConflictError).code).toBe('TLS_BACKEND_CONFLICT');
    }
    unregisterTlsBackendForTests();
  });
});
