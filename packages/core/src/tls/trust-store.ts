import { existsSync, readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';

/** Where Debian, Ubuntu, Alpine, Fedora and macOS Homebrew keep the system CA bundle. */
const SYSTEM_BUNDLES = [
  '/etc/ssl/certs/ca-certificates.crt',
  '/etc/pki/tls/certs/ca-bundle.crt',
  '/etc/ssl/cert.pem',
];

let cached: string | undefined;

/**
 * The default trust store for upstream verification when neither the peer nor ServerConf.ca_file
 * names one: the system bundle, falling back to the Mozilla roots compiled into Node.
 */
export function systemTrustStorePem(): string {
  if (cached !== undefined) return cached;
  const bundle = SYSTEM_BUNDLES.find((p) => existsSync(p));
  cached = bundle ? readFileSync(bundle, 'utf8') : rootCertificates.join('\n');
  return cached;
}
