// Metrics, reload, upgrade and logs of this app (backend s2n), end to end: the built program in its own process.
import { fileURLToPath } from 'node:url';
import { describeGatewayOperations } from '@proxy/testkit';

describeGatewayOperations({
  // Every listed ticket key, introduced so that the first encrypts and the others only decrypt (session-ticket-key-rotation).
  main: fileURLToPath(new URL('../dist/main.js', import.meta.url)), backend: 's2n', ticketKeyRotation: true,
  // No server-side session-ID cache on this backend: session_id_cache is refused at start.
  sessionIdCache: 'none',
});
