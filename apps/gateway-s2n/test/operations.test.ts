// Metrics, reload, upgrade and logs of this app (backend s2n), end to end: the built program in its own process.
import { fileURLToPath } from 'node:url';
import { describeGatewayOperations, type GatewayKnownIssue } from '@proxy/testkit';

/**
 * tls-s2n does not hand ticket keys to s2n yet (s2n_config_add_ticket_crypto_key (several keys,
 * each with an intro time) would take them): the backend declares no session-ticket-keys feature, so each
 * process seals tickets with the key s2n made.
 */
const NO_TICKET_KEYS: GatewayKnownIssue = {
  kind: 'limitation',
  reason: 'no session-ticket-keys feature: session_ticket_key_files and session_ticket_rotation_seconds are refused with TLS_FEATURE_UNSUPPORTED, and each worker keeps its own ticket key (docs/operations.md)',
};

describeGatewayOperations({
  main: fileURLToPath(new URL('../dist/main.js', import.meta.url)), backend: 's2n', ticketKeyRotation: false,
  // No server-side session-ID cache on this backend: session_id_cache is refused at start.
  sessionIdCache: 'none',
  knownIssues: {
    'ticket keys: with a shared key file a ticket from one worker resumes on the other (threads: 2)': NO_TICKET_KEYS,
    'ticket keys: with threads: 2 and no key files the primary hands the same keys to both workers': NO_TICKET_KEYS,
    'ticket keys: session_ticket_rotation_seconds rotates; old tickets resume for one more period where the backend holds two keys, then not': NO_TICKET_KEYS,
    'ticket keys: two gateway processes given the same key file resume each other\'s tickets; rotation by replacing files and reloading': NO_TICKET_KEYS,
  },
});
