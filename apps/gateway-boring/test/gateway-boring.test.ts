// The same gateway on the BoringSSL backend, in its own process, reached with curl over h2 and http/1.1.
import { fileURLToPath } from 'node:url';
import { describeDemoGatewayApp } from '@proxy/testkit';

describeDemoGatewayApp({
  appMain: fileURLToPath(new URL('../dist/main.js', import.meta.url)),
  expectedBackend: 'boringssl',
  label: 'BoringSSL',
});
