// The shared TLS backend conformance suite (@proxy/testkit) against this backend: real peers
// (openssl, gnutls, curl, Node's tls), this package's bin and the OpenSSL backend's bin in
// separate processes.
import '@proxy/tls-pure';
import { fileURLToPath } from 'node:url';
import { describeTlsConformance } from '@proxy/testkit';

describeTlsConformance({
  backendPackage: '@proxy/tls-pure',
  binPath: fileURLToPath(new URL('../bin/proxy-tls-pure.js', import.meta.url)),
  expectedBackend: 'pure',
  peerBins: [
    { name: 'openssl', binPath: fileURLToPath(new URL('../../tls-openssl/bin/proxy-tls-openssl.js', import.meta.url)) },
    { name: 'boringssl', binPath: fileURLToPath(new URL('../../tls-boring/bin/proxy-tls-boring.js', import.meta.url)) },
  ],
});
