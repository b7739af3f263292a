import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { fileURLToPath } from 'node:url';

/** Whether a Node binary's OpenSSL takes X25519MLKEM768 (OpenSSL 3.5: Node 22.20+, 24.5+). */
function runtimeHasHybrid(): boolean {
  try {
    createSecureContext({ ecdhCurve: 'X25519MLKEM768' });
    return true;
  } catch {
    return false;
  }
}

/**
 * A Node whose OpenSSL has X25519MLKEM768, to act as a post-quantum peer in its own process:
 * this one when it qualifies (the Node 24 run of tools/test.sh), else a Node 24 that
 * tools/node-runtime.sh cached under the repository's .cache/node/, else undefined.
 */
export function pqNodeBinary(): string | undefined {
  if (runtimeHasHybrid()) return process.execPath;
  const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
  const cache = join(repo, '.cache', 'node');
  if (!existsSync(cache)) return undefined;
  const versions = readdirSync(cache).filter((v) => Number(v.split('.')[0]) >= 24).sort();
  const bin = versions.length ? join(cache, versions[versions.length - 1]!, 'bin', 'node') : undefined;
  return bin && existsSync(bin) ? bin : undefined;
}

export interface PqPeerResult {
  /** The group the peer saw (Node's getEphemeralKeyInfo on the client; the server reports the client's view). */
  group: string | undefined;
  protocol: string | undefined;
}

/**
 * Runs a one-shot Node TLS client in `node` against 127.0.0.1:port, offering `groups`
 * (OpenSSL names, e.g. "X25519MLKEM768:X25519"), and reports the group it negotiated.
 */
export function pqNodeClient(node: string, port: number, caPem: string, groups: string, servername = 'localhost'): Promise<PqPeerResult> {
  const script = `
    const tls = require('node:tls');
    const s = tls.connect({ port: ${port}, host: '127.0.0.1', servername: ${JSON.stringify(servername)},
      ca: process.env.PQ_CA, ecdhCurve: ${JSON.stringify(groups)} }, () => {
      const k = s.getEphemeralKeyInfo();
      process.stdout.write(JSON.stringify({ group: k && k.name, protocol: s.getProtocol() }));
      s.end('GET / HTTP/1.0\\r\\n\\r\\n');
      s.resume();
      s.on('close', () => process.exit(0));
    });
    s.on('error', (e) => { process.stderr.write(String(e && e.message)); process.exit(1); });
    setTimeout(() => process.exit(2), 5000).unref();`;
  return runNode(node, script, { PQ_CA: caPem });
}

/**
 * Runs a one-shot Node TLS server in `node` offering `groups`; resolves with its port, and
 * `done` with the group the server saw once one client has finished a handshake.
 */
export async function pqNodeServer(node: string, certPem: string, keyPem: string, groups: string): Promise<{ port: number; close(): void }> {
  const script = `
    const tls = require('node:tls');
    const srv = tls.createServer({ cert: process.env.PQ_CERT, key: process.env.PQ_KEY, ecdhCurve: ${JSON.stringify(groups)} },
      (s) => { s.on('error', () => {}); s.end('hello from node ' + process.version + '\\n'); });
    srv.listen(0, '127.0.0.1', () => process.stdout.write(String(srv.address().port) + '\\n'));
    setTimeout(() => process.exit(0), 20000).unref();`;
  const child = spawn(node, ['-e', script], { env: { ...process.env, PQ_CERT: certPem, PQ_KEY: keyPem }, stdio: ['ignore', 'pipe', 'pipe'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('PQ Node server did not start')), 10_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^(\d+)\n/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', () => reject(new Error('PQ Node server exited')));
  });
  return { port, close: () => child.kill('SIGKILL') };
}

function runNode(node: string, script: string, env: Record<string, string>): Promise<PqPeerResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(node, ['-e', script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.once('exit', (code) => {
      if (code === 0 && out) resolve(JSON.parse(out) as PqPeerResult);
      else reject(new Error(`Node PQ client failed (exit ${code}): ${err || out}`));
    });
  });
}
