import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { freePort, runPeer, spawnPeer, testPki } from '../src/index.js';

function verify(pki: ReturnType<typeof testPki>, cert: string): string {
  const r = spawnSync('openssl', ['verify', '-CAfile', pki.caFile, '-untrusted', pki.intermediate.cert, cert], { encoding: 'utf8' });
  return `${r.stdout}${r.stderr}`;
}

describe('test PKI', () => {
  const pki = testPki();

  it('is generated once per process', () => {
    expect(testPki()).toBe(pki);
    expect(statSync(pki.caFile).isFile()).toBe(true);
  });

  it('issues every good leaf from the intermediate under the root', () => {
    for (const c of [pki.serverEcdsa, pki.serverRsa, pki.otherHost, pki.wrongHost, pki.client]) {
      expect(verify(pki, c.cert)).toMatch(/: OK/);
    }
  });

  it('has an expired leaf and an untrusted client', () => {
    expect(verify(pki, pki.expired.cert)).toMatch(/expired/);
    expect(verify(pki, pki.untrustedClient.cert)).toMatch(/unable to get local issuer/);
  });

  it('server leaves carry the test names; key types are as named', () => {
    const ec = new X509Certificate(pki.serverEcdsa.certPem);
    expect(ec.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1, DNS:test.local, DNS:*.wild.test');
    expect(ec.publicKey.asymmetricKeyType).toBe('ec');
    expect(new X509Certificate(pki.serverRsa.certPem).publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(new X509Certificate(pki.otherHost.certPem).subjectAltName).toBe('DNS:other.test');
    expect(pki.serverEcdsa.chainPem).toBe(pki.serverEcdsa.certPem + pki.intermediate.certPem);
    expect(pki.caBundlePem).toContain(pki.intermediate.certPem.trim());
  });
});

describe('peer helpers', () => {
  it('freePort returns a bindable port', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
  });

  it('runPeer collects output and the exit code', async () => {
    const r = await runPeer('openssl', ['version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^OpenSSL 3\./);
  });

  it('waitFor times out with the output, and kill ends the peer', async () => {
    const p = spawnPeer('sleep', ['30']);
    await expect(p.waitFor(/never/, 100)).rejects.toThrow(/did not print/);
    await p.kill();
    expect(p.running).toBe(false);
  });
});
