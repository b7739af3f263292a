// CertFileWatcher on a real filesystem: the three ways renewals replace files, each seen once.
import { mkdirSync, mkdtempSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CertFileWatcher } from '../src/cert-watch.js';

const watchers: CertFileWatcher[] = [];
afterEach(() => {
  for (const w of watchers.splice(0)) w.close();
});

function watchFiles(files: string[]): { changes: () => number } {
  let n = 0;
  const w = new CertFileWatcher(files, () => n++, 50).start();
  watchers.push(w);
  return { changes: () => n };
}

const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 300));

describe('CertFileWatcher', () => {
  it('sees a file renamed over the certificate, once for a certificate and key replaced together', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'watch-rename-'));
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    writeFileSync(cert, 'old cert');
    writeFileSync(key, 'old key');
    const w = watchFiles([cert, key]);
    await settle();
    expect(w.changes()).toBe(0);
    writeFileSync(`${cert}.tmp`, 'new cert');
    writeFileSync(`${key}.tmp`, 'new key');
    renameSync(`${key}.tmp`, key);
    renameSync(`${cert}.tmp`, cert);
    await expect.poll(w.changes, { timeout: 3000, interval: 20 }).toBe(1);
    await settle();
    expect(w.changes()).toBe(1);
    // And again after the swap: the watch is on the directory, not on the inode that left.
    writeFileSync(`${cert}.tmp`, 'newer cert');
    renameSync(`${cert}.tmp`, cert);
    await expect.poll(w.changes, { timeout: 3000, interval: 20 }).toBe(2);
  });

  it('sees a Kubernetes-style ..data symlink swap and a certbot-style symlink re-pointed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'watch-symlink-'));
    mkdirSync(join(dir, '..v1'));
    writeFileSync(join(dir, '..v1', 'tls.crt'), 'v1');
    symlinkSync('..v1', join(dir, '..data'));
    symlinkSync(join('..data', 'tls.crt'), join(dir, 'tls.crt'));
    // certbot: live/fullchain.pem -> ../archive/fullchain1.pem
    mkdirSync(join(dir, 'archive'));
    mkdirSync(join(dir, 'live'));
    writeFileSync(join(dir, 'archive', 'fullchain1.pem'), 'one');
    symlinkSync(join('..', 'archive', 'fullchain1.pem'), join(dir, 'live', 'fullchain.pem'));

    const k8s = watchFiles([join(dir, 'tls.crt')]);
    const certbot = watchFiles([join(dir, 'live', 'fullchain.pem')]);
    await settle();
    mkdirSync(join(dir, '..v2'));
    writeFileSync(join(dir, '..v2', 'tls.crt'), 'v2');
    symlinkSync('..v2', join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    await expect.poll(k8s.changes, { timeout: 3000, interval: 20 }).toBeGreaterThanOrEqual(1);

    const before = certbot.changes();
    writeFileSync(join(dir, 'archive', 'fullchain2.pem'), 'two');
    symlinkSync(join('..', 'archive', 'fullchain2.pem'), join(dir, 'live', 'fullchain.pem.new'));
    renameSync(join(dir, 'live', 'fullchain.pem.new'), join(dir, 'live', 'fullchain.pem'));
    await expect.poll(certbot.changes, { timeout: 3000, interval: 20 }).toBeGreaterThan(before);
  });
});
