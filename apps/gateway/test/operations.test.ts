// Metrics, reload, upgrade and logs of this app (backend openssl), end to end: the built program in its own process.
import { fileURLToPath } from 'node:url';
import { describeGatewayOperations } from '@proxy/testkit';

describeGatewayOperations({
  main: fileURLToPath(new URL('../dist/main.js', import.meta.url)), backend: 'openssl', ticketKeyRotation: true, sessionIdCache: 'shared',
});
