// Metrics, reload, upgrade and logs of this app (backend pure), end to end: the built program in its own process.
import { fileURLToPath } from 'node:url';
import { describeGatewayOperations } from '@proxy/testkit';

describeGatewayOperations({
  main: fileURLToPath(new URL('../dist/main.js', import.meta.url)), backend: 'pure', ticketKeyRotation: true,
  // tls-pure looks a session ID up synchronously inside its handshake: one cache per worker (declared, and logged at start).
  sessionIdCache: 'per-process',
});
