import { execFileSync } from 'node:child_process';
import { startDemoGateway, type RunningGateway } from '../apps/demo-gateway.js';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** Debian's chromium (tools/setup.sh --test-peers installs it). */
export const CHROMIUM = process.env['PROXY_CHROMIUM'] ?? '/usr/bin/chromium';

/** Where the browser test leaves its screenshots (gitignored). */
export const BROWSER_ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'test-results', 'browser');

export interface BrowserGatewayOptions {
  /** The app's built entry point (apps/gateway-x/dist/main.js). */
  appMain: string;
  /** `TlsBackend.name` of the app's backend. */
  expectedBackend: string;
  /** Whether the backend negotiates X25519MLKEM768 on this runtime (its `features`). */
  hybridGroup: boolean;
}


/**
 * Chromium's trust store on Linux is the NSS database in $HOME/.pki/nssdb: the demo's
 * self-signed certificate goes there as a trusted peer ("P"), so the page loads with
 * certificate verification on, not with errors ignored.
 */
function browserHomeTrusting(certFile: string): string {
  const home = mkdtempSync(join(tmpdir(), 'proxy-browser-home-'));
  const db = join(home, '.pki', 'nssdb');
  mkdirSync(db, { recursive: true });
  execFileSync('certutil', ['-d', `sql:${db}`, '-N', '--empty-password']);
  execFileSync('certutil', ['-d', `sql:${db}`, '-A', '-n', 'proxy-demo', '-t', 'P,,', '-i', certFile]);
  return home;
}

/** The "via gateway TLS:" line of the demo page, split: backend, version, cipher, group, alpn=, resumed=. */
async function gatewayTls(page: Page): Promise<string[]> {
  const body = (await page.textContent('body')) ?? '';
  const line = /via gateway TLS: (.*)/.exec(body)?.[1] ?? '';
  return line.trim().split(' ');
}

/**
 * A real browser through the backend's demo gateway app: Debian's Chromium (headless, driven
 * by playwright-core, which downloads nothing) loads the demo page over h2 with the demo
 * certificate trusted, and the TLS version and group the gateway reports are checked; a new
 * connection after the browser's socket pools are flushed resumes the session; 50 subresources
 * share one h2 connection. A screenshot of the demo page goes to test-results/browser/.
 */
export function describeBrowserGateway(opts: BrowserGatewayOptions): void {
  // Skipped where Chromium is not installed, except in CI (tools/setup.sh --test-peers installs it there).
  const available = existsSync(CHROMIUM) || process.env['CI'] === 'true';
  describe(`Chromium through the ${opts.expectedBackend} demo gateway`, () => {
    let gw: RunningGateway | undefined;
    let browser: Browser | undefined;
    let home: string | undefined;
    let cacheDir: string | undefined;

    beforeAll(async () => {
      if (!available) return;
      cacheDir = mkdtempSync(join(tmpdir(), 'proxy-browser-cache-'));
      gw = await startDemoGateway(opts.appMain, cacheDir, opts.expectedBackend);
      home = browserHomeTrusting(join(cacheDir, 'proxy-gateway', 'localhost-v2.crt'));
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        env: { ...process.env, HOME: home },
        args: [
          '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
          '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
        ],
      });
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      gw?.child.kill('SIGKILL');
      for (const d of [home, cacheDir]) if (d) rmSync(d, { recursive: true, force: true });
    });

    it.skipIf(!available)('loads the demo page over h2, certificate verified; TLS 1.3 and the expected group; a new connection resumes', async () => {
      const context = await browser!.newContext();
      const page = await context.newPage();
      const response = await page.goto(`https://localhost:${gw!.port}/`);
      expect(response?.status()).toBe(200);
      const security = await response!.securityDetails();
      expect(security?.protocol).toBe('TLS 1.3');
      // Evaluated in the page (a string: this package compiles without DOM types).
      const hop = await page.evaluate<string>('performance.getEntriesByType("navigation")[0].nextHopProtocol');
      expect(hop).toBe('h2');
      const [backend, version, , group, alpn, resumed] = await gatewayTls(page);
      expect(backend).toBe(opts.expectedBackend);
      expect(version).toBe('TLSv1.3');
      expect(alpn).toBe('alpn=h2');
      expect(resumed).toBe('resumed=no');
      expect(group).toBe(opts.hybridGroup ? 'X25519MLKEM768' : 'x25519');
      mkdirSync(BROWSER_ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(BROWSER_ARTIFACTS, `${opts.expectedBackend}.png`) });

      // Close the h2 connection from the browser's side (net-internals' "Flush socket pools"),
      // so the next navigation opens a new one, which must resume with the ticket it holds.
      const internals = await context.newPage();
      await internals.goto('chrome://net-internals/#sockets');
      await internals.click('#sockets-view-flush-button');
      await internals.close();
      await page.goto(`https://localhost:${gw!.port}/again`);
      const [, version2, , , , resumed2] = await gatewayTls(page);
      expect(version2).toBe('TLSv1.3');
      expect(resumed2).toBe('resumed=yes');
      await context.close();
    }, 30_000);

    it.skipIf(!available)('50 subresources share one h2 connection', async () => {
      const context = await browser!.newContext();
      const page = await context.newPage();
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      const connections = new Set<string>();
      const protocols = new Set<string>();
      cdp.on('Network.responseReceived', (e) => {
        connections.add(String(e.response.connectionId));
        protocols.add(String(e.response.protocol));
      });
      await page.goto(`https://localhost:${gw!.port}/`);
      const statuses = await page.evaluate<number[]>(
        'Promise.all(Array.from({ length: 50 }, (_, i) => fetch("/asset/" + i, { cache: "no-store" }).then((r) => r.status)))',
      );
      expect(statuses.filter((s) => s === 200)).toHaveLength(50);
      expect([...protocols]).toEqual(['h2']);
      expect(connections.size).toBe(1);
      await context.close();
    }, 30_000);
  });
}
