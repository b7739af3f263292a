// The same gateway on the s2n backend, in its own process, reached with curl over h2 and http/1.1.
import { fileURLToPath } from 'node:url';
import { describeDemoGatewayApp } from '@proxy/testkit';

describeDemoGatewayApp({
  appMain: fileURLToPath(new URL('../dist/main.js', import.meta.url)),
  expectedBackend: 's2n',
  label: 's2n',
});
