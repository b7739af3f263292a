// Metrics, reload, upgrade and logs of this app (backend boringssl), end to end: the built program in its own process.
import { fileURLToPath } from 'node:url';
import { describeGatewayOperations } from '@proxy/testkit';

describeGatewayOperations({
  // Our ticket key callback holds several keys: the first seals, all open (session-ticket-key-rotation).
  main: fileURLToPath(new URL('../dist/main.js', import.meta.url)), backend: 'boringssl', ticketKeyRotation: true,
  // No server-side session-ID cache on this backend: session_id_cache is refused at start.
  sessionIdCache: 'none',
});
