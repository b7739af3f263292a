// Builds the N-API addon (native/s2n_addon.c → build/Release/proxy_s2n.node) with node-gyp.
// Runs at install and before `tsc -b`; skips when the addon is newer than its sources. A failed
// build never fails the install: the package then imports, and first use throws
// TlsBackendUnavailableError naming this command.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'build', 'Release', 'proxy_s2n.node');
const sources = ['native/s2n_addon.c', 'binding.gyp'].map((f) => join(root, f));

if (process.platform !== 'linux') {
  console.log(`@proxy/tls-s2n: no addon build on ${process.platform} (s2n comes from aws-crt's Linux binaries)`);
  process.exit(0);
}
if (existsSync(out) && sources.every((s) => statSync(s).mtimeMs <= statSync(out).mtimeMs)) process.exit(0);

/** node-gyp: the one on PATH (npm and pnpm put theirs there for scripts), else npm's own copy. */
function nodeGyp() {
  const onPath = spawnSync('node-gyp', ['--version'], { stdio: 'ignore' });
  if (onPath.status === 0) return ['node-gyp'];
  const npmDir = spawnSync('npm', ['root', '-g'], { encoding: 'utf8' }).stdout?.trim();
  const candidates = [
    npmDir && join(npmDir, 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ].filter(Boolean);
  try {
    candidates.unshift(createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not a dependency
  }
  const found = candidates.find((c) => existsSync(c));
  return found ? [process.execPath, found] : undefined;
}

const gyp = nodeGyp();
if (!gyp) {
  console.warn('@proxy/tls-s2n: node-gyp not found; the s2n addon is not built (install npm, then run `pnpm --filter @proxy/tls-s2n build`)');
  process.exit(0);
}
const env = { ...process.env, npm_config_nodedir: process.env.npm_config_nodedir || '/usr' };
const r = spawnSync(gyp[0], [...gyp.slice(1), 'rebuild', '--release', '--loglevel=warn'], { cwd: root, env, stdio: 'inherit' });
if (r.status !== 0) {
  console.warn(`@proxy/tls-s2n: the s2n addon failed to build (node-gyp exit ${r.status}); the backend is unavailable until \`pnpm --filter @proxy/tls-s2n build\` succeeds`);
}
