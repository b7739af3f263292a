// Builds the N-API addon (binding.gyp) when the static BoringSSL archives are there, as
// `pnpm install` runs it (and `pnpm build`, with --if-stale). Never fails: without the archives,
// or when the build fails, it warns once and exits 0; the package still imports and registers,
// and createAcceptor/createConnector throw TlsBackendUnavailableError with the fix.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { boringsslDir, boringsslPresent } from './boringssl-dir.mjs';

const pkg = dirname(dirname(fileURLToPath(import.meta.url)));
const addon = join(pkg, 'build', 'Release', 'tls_boring.node');
const ifStale = process.argv.includes('--if-stale');

function warn(message) {
  process.stderr.write(`@proxy/tls-boring: ${message}\n`);
}

function stale() {
  if (!existsSync(addon)) return true;
  const built = statSync(addon).mtimeMs;
  const inputs = [join(pkg, 'binding.gyp'), ...readdirSync(join(pkg, 'native')).map((f) => join(pkg, 'native', f)),
    join(boringsslDir(), 'lib', 'libssl.a'), join(boringsslDir(), 'lib', 'libcrypto.a')];
  return inputs.some((f) => existsSync(f) && statSync(f).mtimeMs > built);
}

if (!boringsslPresent()) {
  if (!ifStale) {
    warn(`BoringSSL is not built (${boringsslDir()} is missing); skipping the native addon. ` +
      "Run `bash tools/setup.sh` to build BoringSSL from Debian's android-platform-external-boringssl source.");
  }
  process.exit(0);
}
if (ifStale && !stale()) process.exit(0);

// node-gyp: the one pnpm or npm hands to install scripts, else one on PATH, else npm's own copy.
const candidates = [
  process.env.npm_config_node_gyp,
  '/usr/lib/node_modules/pnpm/dist/node_modules/node-gyp/bin/node-gyp.js',
  '/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
  join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
].filter((p) => p && existsSync(p));
// Node's headers: npm_config_nodedir (tools/setup.sh exports /usr), else this node's own prefix.
const prefix = dirname(dirname(process.execPath));
const nodedir = process.env.npm_config_nodedir || (existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? prefix : '/usr');
const env = { ...process.env, npm_config_nodedir: nodedir };
const [cmd, args] = candidates.length > 0 ? [process.execPath, [candidates[0], 'rebuild']] : ['node-gyp', ['rebuild']];
const r = spawnSync(cmd, args, { cwd: pkg, env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
if (r.status !== 0) {
  const tail = (r.stderr ?? String(r.error ?? '')).trim().split('\n').slice(-8).join('\n');
  warn(`building the native addon failed; the backend will be unavailable until it builds:\n${tail}`);
  process.exit(0);
}
process.stdout.write(`@proxy/tls-boring: built ${addon}\n`);
