// Metrics, reload, upgrade and logs of this app (backend s2n), end to end: the built program in its own process.
import { fileURLToPath } from 'node:url';
import { describeGatewayOperations } from '@proxy/testkit';

describeGatewayOperations({
  // One shared ticket key (s2n_config_add_ticket_crypto_key; s2n chooses among several by their introduction time).
  main: fileURLToPath(new URL('../dist/main.js', import.meta.url)), backend: 's2n', ticketKeyRotation: false,
  // No server-side session-ID cache on this backend: session_id_cache is refused at start.
  sessionIdCache: 'none',
});
