// The shared TLS backend conformance suite (@proxy/testkit) against this backend: real peers
// (openssl, gnutls, curl, Node's tls) and this package's own bin in separate processes.
import '@proxy/tls-openssl';
import { fileURLToPath } from 'node:url';
import { describeTlsConformance } from '@proxy/testkit';

const CLIENT_CERT_VERIFY =
  'the acceptor reads TLSSocket.authorized, which Node only sets for sockets of a tls.Server; on a ' +
  'standalone server TLSSocket it stays false with authorizationError null, so client certificates are never verified';

describeTlsConformance({
  backendPackage: '@proxy/tls-openssl',
  binPath: fileURLToPath(new URL('../bin/proxy-tls-openssl.js', import.meta.url)),
  expectedBackend: 'openssl',
  knownIssues: {
    'required, certificate from an untrusted CA: refused': CLIENT_CERT_VERIFY,
    'optional, good certificate: digest.peerCertificate set': CLIENT_CERT_VERIFY,
    'bin s_client with a client certificate → bin s_server -verify: the server prints it': CLIENT_CERT_VERIFY,
  },
});
