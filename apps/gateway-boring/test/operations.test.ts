// Metrics, reload, upgrade and logs of this app (backend boringssl), end to end: the built program in its own process.
import { fileURLToPath } from 'node:url';
import { describeGatewayOperations } from '@proxy/testkit';

describeGatewayOperations({
  // SSL_CTX_set_tlsext_ticket_keys holds one ticket key (session-ticket-keys, no rotation), as Node's tls.
  main: fileURLToPath(new URL('../dist/main.js', import.meta.url)), backend: 'boringssl', ticketKeyRotation: false,
  // No server-side session-ID cache on this backend: session_id_cache is refused at start.
  sessionIdCache: 'none',
});
