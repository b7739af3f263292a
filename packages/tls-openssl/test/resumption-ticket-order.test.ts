// TLS 1.3 resumption (psk_dhe_ke) on the OpenSSL backend: the server sends a fresh
// NewSessionTicket after the client's Finished and before any application data, as openssl
// s_server does (Node's own ticket callback never renews, so a resumed connection used to get no
// ticket at all). Checked in the order openssl s_client -msg reports, over a chain of resumptions.
import '@proxy/tls-openssl';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TlsSettings } from '@proxy/core';
import { BackendTestServer, opensslClient, testPki } from '@proxy/testkit';

const request = 'GET / HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n';

/** The handshake messages and application data in the order s_client printed them. */
function order(output: string): string[] {
  const out: string[] = [];
  for (const line of output.split('\n')) {
    const m = /^<<< TLS 1\.3, Handshake \[length [0-9a-f]+\], (\w+)/.exec(line);
    if (m) out.push(m[1]!);
    else if (line.startsWith('HTTP/1.1 200')) out.push('application data');
  }
  return out;
}

describe('TLS 1.3 resumption on tls-openssl: NewSessionTicket before application data', () => {
  const pki = testPki();
  let server: BackendTestServer;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ossl-resume-'));
    server = await BackendTestServer.start(TlsSettings.intermediate(pki.serverEcdsa.chain, pki.serverEcdsa.key));
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('every resumed connection gets a new ticket first, and the new ticket resumes the next one', async () => {
    const sess = join(dir, 'session.pem');
    const run = (resume: boolean) => opensslClient({
      port: server.port, servername: 'localhost', tls: '1.3', input: request, waitForServerClose: true,
      extraArgs: ['-msg', ...(resume ? ['-sess_in', sess] : []), '-sess_out', sess],
    });
    const first = await run(false);
    expect(first.output).toMatch(/^New, TLSv1\.3/m);
    for (let i = 0; i < 2; i++) {
      const r = await run(true);
      expect(r.output).toMatch(/^Reused, TLSv1\.3/m);
      const seen = order(r.output);
      const ticket = seen.indexOf('NewSessionTicket');
      expect(ticket, seen.join(' ')).toBeGreaterThanOrEqual(0);
      expect(ticket).toBeLessThan(seen.indexOf('application data'));
    }
  });
});
