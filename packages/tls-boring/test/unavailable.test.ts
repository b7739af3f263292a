// Without the native build the package still imports and registers; first use throws
// TlsBackendUnavailableError naming what is missing and the fix.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const script = `
import { TlsSettings, tlsBackend, tlsClientOptions, TlsBackendUnavailableError } from '@proxy/core';
await import('@proxy/tls-boring');
const out = { name: tlsBackend().name, library: tlsBackend().library };
for (const [what, fn] of [
  ['acceptor', () => tlsBackend().createAcceptor(TlsSettings.intermediate(process.env.CERT, process.env.KEY))],
  ['connector', () => tlsBackend().createConnector(tlsClientOptions())],
]) {
  try { fn(); out[what] = 'no error'; }
  catch (e) { out[what] = { unavailable: e instanceof TlsBackendUnavailableError, code: e.code, source: e.source, backend: e.backend, message: e.message }; }
}
console.log(JSON.stringify(out));
`;

describe('without the native build', () => {
  it('imports, registers, and createAcceptor/createConnector throw TlsBackendUnavailableError with the fix', async () => {
    const { testPki } = await import('@proxy/testkit');
    const pki = testPki();
    const stdout = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: { ...process.env, PROXY_TLS_BORING_ADDON: '/nonexistent/tls_boring.node', CERT: pki.serverEcdsa.chain, KEY: pki.serverEcdsa.key },
      encoding: 'utf8',
      timeout: 60_000,
    });
    const out = JSON.parse(stdout.trim().split('\n').pop()!);
    expect(out.name).toBe('boringssl');
    expect(out.library).toMatch(/^BoringSSL .*not built/);
    for (const what of ['acceptor', 'connector']) {
      expect(out[what].unavailable).toBe(true);
      expect(out[what].code).toBe('TLS_BACKEND_UNAVAILABLE');
      expect(out[what].source).toBe('config');
      expect(out[what].backend).toBe('boringssl');
      // The message names what is missing and the command that fixes it.
      expect(out[what].message).toContain('android-platform-external-boringssl');
      expect(out[what].message).toContain('bash tools/setup.sh');
    }
  }, 90_000);
});
