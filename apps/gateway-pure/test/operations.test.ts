// Metrics, reload, upgrade and logs of this app (backend pure), end to end: the built program in its own process.
import { fileURLToPath } from 'node:url';
import { describeGatewayOperations } from '@proxy/testkit';

describeGatewayOperations({
  // tls-pure looks a session ID up synchronously: from the copy of the primary's cache each worker keeps (SessionIdStore.peek).
  main: fileURLToPath(new URL('../dist/main.js', import.meta.url)), backend: 'pure', ticketKeyRotation: true, sessionIdCache: 'shared',
});
