import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatePki } from './pki.js';

/** One test PKI per run, shared by every test file (RSA key generation is the slow part). */
export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'tls-pure-pki-'));
  generatePki(dir);
  process.env['PURE_TLS_PKI_DIR'] = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
