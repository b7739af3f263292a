// The shared TLS backend conformance suite (@proxy/testkit) against this backend: real peers
// (openssl, gnutls, curl, Node's tls) and this package's own bin in separate processes.
import '@proxy/tls-openssl';
import { fileURLToPath } from 'node:url';
import { describeTlsConformance } from '@proxy/testkit';

describeTlsConformance({
  backendPackage: '@proxy/tls-openssl',
  binPath: fileURLToPath(new URL('../bin/proxy-tls-openssl.js', import.meta.url)),
  expectedBackend: 'openssl',
  // The other backends of this repo, in separate processes (the root build builds them all).
  peerBins: [
    { name: 'pure', binPath: fileURLToPath(new URL('../../tls-pure/bin/proxy-tls-pure.js', import.meta.url)) },
    { name: 'boringssl', binPath: fileURLToPath(new URL('../../tls-boring/bin/proxy-tls-boring.js', import.meta.url)) },
  ],
});
