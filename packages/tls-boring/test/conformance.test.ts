// The shared TLS backend conformance suite (@proxy/testkit) against this backend: real peers
// (openssl, gnutls, curl, Node's tls), this package's bin, and the OpenSSL and pure backends'
// bins in separate processes.
import '@proxy/tls-boring';
import { fileURLToPath } from 'node:url';
import { describeTlsConformance } from '@proxy/testkit';

const bin = (pkg: string, name: string): string => fileURLToPath(new URL(`../../${pkg}/bin/${name}.js`, import.meta.url));

describeTlsConformance({
  backendPackage: '@proxy/tls-boring',
  binPath: fileURLToPath(new URL('../bin/proxy-tls-boring.js', import.meta.url)),
  expectedBackend: 'boringssl',
  peerBins: [
    { name: 'openssl', binPath: bin('tls-openssl', 'proxy-tls-openssl') },
    { name: 'pure', binPath: bin('tls-pure', 'proxy-tls-pure') },
  ],
});
