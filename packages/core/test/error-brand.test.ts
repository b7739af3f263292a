// Errors survive two copies of @proxy/core in one process: the built package is copied to a
// second folder and imported next to this copy; an error made by either copy is `instanceof`
// the matching class of the other and keeps its code, reason, alert and source.
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as A from '../src/index.js';

type Core = typeof A;

const root = fileURLToPath(new URL('..', import.meta.url));
// Inside the package, so the copy resolves @proxy/core's own dependencies (yaml) as the original does.
const copyDir = join(root, '.cache', `second-copy-${process.pid}`);
let B: Core;

beforeAll(async () => {
  rmSync(copyDir, { recursive: true, force: true });
  mkdirSync(copyDir, { recursive: true });
  // Without the source maps (they point at sources the copy does not have).
  cpSync(join(root, 'dist'), join(copyDir, 'dist'), { recursive: true, filter: (src) => !src.endsWith('.map') });
  writeFileSync(join(copyDir, 'package.json'), JSON.stringify({ name: '@proxy/core', type: 'module' }));
  B = (await import(pathToFileURL(join(copyDir, 'dist', 'index.js')).href)) as Core;
});

afterAll(() => rmSync(copyDir, { recursive: true, force: true }));

describe('error brand across two copies of @proxy/core', () => {
  it('the two copies really are distinct modules', () => {
    expect(B.InvalidCertError).not.toBe(A.InvalidCertError);
    expect(B.ProxyError).not.toBe(A.ProxyError);
  });

  it('an InvalidCertError from the other copy is instanceof this copy\'s classes, with its code, reason, alert and source', () => {
    const e = new B.InvalidCertError('expired', 'certificate has expired', { alert: 45, source: 'upstream' });
    expect(e instanceof A.InvalidCertError).toBe(true);
    expect(e instanceof A.TlsHandshakeError).toBe(true);
    expect(e instanceof A.ProxyError).toBe(true);
    expect(e instanceof Error).toBe(true);
    expect(e instanceof A.TlsAlertReceivedError).toBe(false);
    expect(e instanceof A.TlsProtocolError).toBe(false);
    expect(e instanceof A.ConnectError).toBe(false);
    expect(e.code).toBe('TLS_INVALID_CERT');
    expect(e.reason).toBe('expired');
    expect(e.alert).toBe(45);
    expect(e.source).toBe('upstream');
    expect(A.hasErrorCode(e, 'InvalidCert')).toBe(true);
    expect(A.hasErrorCode(e, 'TLS_INVALID_CERT')).toBe(true);
    expect(A.hasErrorCode(e, 'TLS_HANDSHAKE')).toBe(false);
  });

  it('and the other way round', () => {
    const e = new A.TlsAlertReceivedError(40, 'handshake_failure', 'downstream');
    expect(e instanceof B.TlsAlertReceivedError).toBe(true);
    expect(e instanceof B.TlsHandshakeError).toBe(true);
    expect(e instanceof B.InvalidCertError).toBe(false);
    expect(e.code).toBe('TLS_ALERT_RECEIVED');
    expect(e.alert).toBe(40);
  });

  it("this copy's error handling keeps the other copy's error as it is (status mapping, toProxyError)", () => {
    const timeout = new B.TimeoutError('read', 100, 'upstream');
    expect(A.toProxyError(timeout)).toBe(timeout);
    expect(A.errorStatus(timeout)).toBe(504);
    const cert = new B.InvalidCertError('unknown-ca', 'x', { source: 'upstream' });
    expect(A.errorStatus(cert)).toBe(502);
    expect(A.toProxyError(cert).code).toBe('TLS_INVALID_CERT');
  });

  it('foreign values are not ProxyErrors: plain errors, objects with a code, primitives', () => {
    expect(new Error('x') instanceof A.ProxyError).toBe(false);
    expect(Object.assign(new Error('x'), { code: 'TLS_INVALID_CERT' }) instanceof A.InvalidCertError).toBe(false);
    expect(({ code: 'TLS_HANDSHAKE' } as unknown) instanceof A.TlsHandshakeError).toBe(false);
    expect((null as unknown) instanceof A.ProxyError).toBe(false);
    expect(('TLS_HANDSHAKE' as unknown) instanceof A.ProxyError).toBe(false);
  });

  it('a user subclass is branded too', () => {
    class MyError extends A.ProxyError {
      constructor() {
        super('APP_MINE', 'mine', { source: 'internal' });
      }
    }
    const e = new MyError();
    expect(e instanceof MyError).toBe(true);
    expect(e instanceof A.ProxyError).toBe(true);
    expect(e instanceof B.ProxyError).toBe(true);
    expect(new A.ProxyError('X', 'x') instanceof MyError).toBe(false);
  });
});
