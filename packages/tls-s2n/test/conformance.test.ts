// The shared TLS backend conformance suite (@proxy/testkit) against this backend: real peers
// (openssl, gnutls, curl, Node's tls), this package's bin, and the other backends' bins in
// separate processes.
import '@proxy/tls-s2n';
import { fileURLToPath } from 'node:url';
import { describeTlsConformance } from '@proxy/testkit';

const bin = (pkg: string, name: string): string => fileURLToPath(new URL(`../../${pkg}/bin/${name}.js`, import.meta.url));

describeTlsConformance({
  backendPackage: '@proxy/tls-s2n',
  binPath: bin('tls-s2n', 'proxy-tls-s2n'),
  expectedBackend: 's2n',
  knownIssues: {
    'verification off: the expired, wrong-named certificate is accepted':
      'the connection is accepted, but with s2n_config_disable_x509_verification s2n keeps no peer chain ' +
      '(s2n_connection_get_peer_cert_chain returns only a validated chain), so digest.peerCertificate is undefined',
  },
  peerBins: [
    { name: 'openssl', binPath: bin('tls-openssl', 'proxy-tls-openssl') },
    { name: 'pure', binPath: bin('tls-pure', 'proxy-tls-pure') },
  ],
});
