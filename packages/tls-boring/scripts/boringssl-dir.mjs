// Where tools/setup.sh puts the static BoringSSL build: <repo>/.cache/boringssl/<debian-version>.
// Prints the folder (or, with --version, the Debian version) for binding.gyp and install.mjs.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The Debian source package version built by scripts/build-boringssl.sh. */
export const BORINGSSL_DEBIAN_VERSION = process.env.BORINGSSL_DEBIAN_VERSION || '13.0.0+r24-2';

export function boringsslDir() {
  if (process.env.BORINGSSL_DIR) return resolve(process.env.BORINGSSL_DIR);
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
  return join(root, '.cache', 'boringssl', BORINGSSL_DEBIAN_VERSION);
}

export function boringsslPresent(dir = boringsslDir()) {
  return ['lib/libssl.a', 'lib/libcrypto.a', 'include/openssl/ssl.h'].every((f) => existsSync(join(dir, f)));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.stdout.write(process.argv.includes('--version') ? BORINGSSL_DEBIAN_VERSION : boringsslDir());
}
