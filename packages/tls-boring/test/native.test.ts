// Proof that BoringSSL is what runs: the library names itself, and the addon keeps every
// BoringSSL symbol private (Node's own OpenSSL 3 lives in the same process).
import '@proxy/tls-boring';
import { execFileSync } from 'node:child_process';
import { tlsBackend } from '@proxy/core';
import { ADDON_PATH, tryNative } from '@proxy/tls-boring';
import { describe, expect, it } from 'vitest';

describe('the BoringSSL addon', () => {
  it('OpenSSL_version() says BoringSSL, API 17, and the backend reports it', () => {
    const addon = tryNative();
    expect(addon).toBeDefined();
    const [name, api] = addon!.version();
    expect(name).toBe('BoringSSL');
    expect(api).toBe(17);
    expect(tlsBackend().name).toBe('boringssl');
    expect(tlsBackend().library).toBe(`BoringSSL (android-platform-external-boringssl 13.0.0+r24-2, API 17)`);
  });

  it('exports no SSL_ or EVP_ symbol, only the N-API entry points (nm -D)', () => {
    const symbols = execFileSync('nm', ['-D', '--defined-only', ADDON_PATH], { encoding: 'utf8' })
      .split('\n').map((l) => l.trim().split(/\s+/).pop() ?? '').filter(Boolean);
    expect(symbols.filter((s) => /^(SSL_|EVP_|X509_|CRYPTO_|OPENSSL_|BIO_|ERR_)/.test(s))).toEqual([]);
    expect(symbols).toContain('napi_register_module_v1');
    // Nothing from BoringSSL is needed at run time either: no libssl/libcrypto dependency.
    const needed = execFileSync('readelf', ['-d', ADDON_PATH], { encoding: 'utf8' });
    expect(needed).not.toMatch(/NEEDED.*lib(ssl|crypto)/);
  });

  it('coexists with Node\'s OpenSSL in one process', async () => {
    const { createHash } = await import('node:crypto');
    expect(createHash('sha256').update('x').digest('hex')).toHaveLength(64);
    expect(process.versions.openssl).toMatch(/^3\./);
  });
});
