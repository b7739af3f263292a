// The backend where s2n cannot load: the package still imports and registers, and first use
// throws TlsBackendUnavailableError naming what is missing and the pinned aws-crt version.
// Also: every s2n function the addon looks up is exported by each pinned Linux binary.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import '@proxy/tls-s2n';
import { TlsBackendUnavailableError, TlsSettings, tlsBackend, tlsClientOptions } from '@proxy/core';
import { testPki } from '@proxy/testkit';
import { AWS_CRT_VERSION, requiredFunctions, simulateMissingFunctionForTests, simulatePlatformForTests } from '@proxy/tls-s2n';

afterEach(() => {
  simulatePlatformForTests(undefined);
  simulateMissingFunctionForTests(undefined);
});

function expectUnavailable(fn: () => unknown, mentions: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(TlsBackendUnavailableError);
  const error = caught as TlsBackendUnavailableError;
  expect(error.code).toBe('TLS_BACKEND_UNAVAILABLE');
  expect(error.source).toBe('config');
  expect(error.backend).toBe('s2n');
  expect(error.message).toContain(mentions);
  expect(error.message).toContain(`aws-crt ${AWS_CRT_VERSION}`);
}

describe('s2n unavailable', () => {
  it('the package imports and registers whatever the platform', () => {
    expect(tlsBackend().name).toBe('s2n');
    expect(tlsBackend().library).toMatch(/^s2n-tls \(aws-crt 1\.33\.2/);
  });

  it.each([
    ['darwin', 'arm64', 'darwin'],
    ['win32', 'x64', 'win32'],
    ['linux', 'ia32', 'ia32'],
  ])('on %s/%s: createAcceptor and createConnector throw TlsBackendUnavailableError', (platform, arch, mentions) => {
    simulatePlatformForTests({ platform, arch });
    const pki = testPki();
    expectUnavailable(() => tlsBackend().createAcceptor(TlsSettings.intermediate(pki.serverEcdsa.chain, pki.serverEcdsa.key)), mentions);
    expectUnavailable(() => tlsBackend().createConnector(tlsClientOptions()), mentions);
  });

  it('a function missing from the binary (dlsym miss) is named', () => {
    simulateMissingFunctionForTests('s2n_function_that_does_not_exist');
    expectUnavailable(() => tlsBackend().createConnector(tlsClientOptions()), 's2n_function_that_does_not_exist');
    simulateMissingFunctionForTests(undefined);
    expect(() => tlsBackend().createConnector(tlsClientOptions())).not.toThrow();
  });
});

describe('the pinned aws-crt binaries', () => {
  const crt = dirname(createRequire(import.meta.url).resolve('aws-crt/package.json'));
  const needed = requiredFunctions();

  it('the addon looks up s2n functions only', () => {
    expect(needed.length).toBeGreaterThan(50);
    for (const name of needed) expect(name).toMatch(/^s2n_/);
  });

  it.each(['linux-x64-glibc', 'linux-x64-musl', 'linux-arm64-glibc', 'linux-arm64-musl'])('%s exports every function the addon needs', (dir) => {
    const binary = join(crt, 'dist', 'bin', dir, 'aws-crt-nodejs.node');
    const exported = new Set(
      execFileSync('nm', ['-D', '--defined-only', binary], { encoding: 'utf8', maxBuffer: 64 << 20 })
        .split('\n').map((line) => line.trim().split(/\s+/)[2]).filter((s): s is string => !!s),
    );
    const missing = needed.filter((f) => !exported.has(f));
    expect(missing).toEqual([]);
    expect([...exported].filter((s) => s.startsWith('s2n_')).length).toBeGreaterThan(300);
  });
});
