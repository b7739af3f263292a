import { createRequire } from 'node:module';
import {
  HYBRID_GROUP_FEATURES, TlsFeatureUnsupportedError, type TlsBackend, type TlsClientOptions, type TlsFeature, type TlsSettings,
} from '@proxy/core';
import { OpensslAcceptor } from './acceptor.js';
import { OpensslConnector } from './connector.js';
import { HYBRID_GROUP_SUPPORTED, noteClassicalKeyExchange } from './hybrid-groups.js';
import { TICKET_KEY_HOOK_AVAILABLE } from './ticket-renewal.js';

const FEATURES: ReadonlySet<TlsFeature> = new Set<TlsFeature>([
  'tls1.2', 'tls1.3', 'alpn', 'alpn-custom', 'client-auth-required', 'client-auth-optional', 'keylog',
  'certificate-callback', 'async-certificate-callback', 'session-tickets', 'disable-session-tickets', 'session-id-cache', 'session-id-cache-shared', 'native',
  'client-certificate', 'custom-ca', 'verify-disable', 'no-sni',
  // Node's tls option holds one ticket key per context; our ticket hook (ticket-renewal.ts)
  // holds several, where this Node has it.
  'session-ticket-keys',
  ...(TICKET_KEY_HOOK_AVAILABLE ? ['session-ticket-key-rotation' as const] : []),
  ...(HYBRID_GROUP_SUPPORTED ? ['group-x25519mlkem768' as const] : []),
]);

const pkg = createRequire(import.meta.url)('../package.json') as { name: string; version: string };

/** Node's built-in tls (OpenSSL), the default backend. */
export const opensslBackend: TlsBackend = {
  name: 'openssl',
  packageName: pkg.name,
  library: `OpenSSL ${process.versions.openssl}`,
  features: FEATURES,
  createAcceptor(settings: TlsSettings) {
    for (const f of settings.requiredFeatures()) {
      if (!FEATURES.has(f)) throw new TlsFeatureUnsupportedError('openssl', f);
    }
    noteClassicalKeyExchange();
    return new OpensslAcceptor(settings);
  },
  createConnector(options: TlsClientOptions) {
    for (const g of options.groups ?? []) {
      const feature = HYBRID_GROUP_FEATURES.get(g);
      if (feature && !FEATURES.has(feature)) throw new TlsFeatureUnsupportedError('openssl', feature, `OpenSSL ${process.versions.openssl} has no ${g}`);
    }
    noteClassicalKeyExchange();
    return new OpensslConnector(options);
  },
};
