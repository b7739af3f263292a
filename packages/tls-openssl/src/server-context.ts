import { createHash, constants } from 'node:crypto';
import { createSecureContext, type SecureContext, type SecureContextOptions } from 'node:tls';
import { ticketKey48, type CertKey, type TlsSettings } from '@proxy/core';
import { HYBRID_GROUP_SUPPORTED } from './hybrid-groups.js';
import { opensslCipherList, opensslGroupList } from './names.js';
import { renewTicketsOnResumption } from './ticket-renewal.js';

/**
 * Compiles listener settings into Node SecureContexts, one per certificate (the default one and
 * each the certificate hook returns), created once and reused for every handshake.
 */
export class ServerContexts {
  private readonly byCertKey = new WeakMap<CertKey, SecureContext>();
  private readonly base: SecureContextOptions;
  /** Node's 48-byte form of the shared ticket keys, the first seals; undefined: each context makes its own. */
  private readonly ticketKeys: Buffer[] | undefined;

  constructor(private readonly settings: TlsSettings) {
    const base: SecureContextOptions = {
      minVersion: settings.minVersion,
      maxVersion: settings.maxVersion,
      ciphers: opensslCipherList(settings.tls12Suites, settings.tls13Suites),
      ecdhCurve: opensslGroupList(settings.groupsFor(HYBRID_GROUP_SUPPORTED)),
      // Mozilla intermediate: the client picks among our (all strong) suites.
      honorCipherOrder: false,
      // Ties resumed sessions to this listener's configuration (required with client auth).
      sessionIdContext: createHash('sha256').update(settings.clientAuth?.caPem ?? 'proxy').digest('hex').slice(0, 32),
    };
    if (settings.clientAuth) base.ca = settings.clientAuth.caPem;
    // Client-initiated renegotiation is refused (a no_renegotiation warning, as nginx does): a
    // renegotiation flood costs the server a full handshake each time.
    base.secureOptions = constants.SSL_OP_NO_RENEGOTIATION | (settings.sessionTickets ? 0 : constants.SSL_OP_NO_TICKET);
    // Shared ticket keys: Node's option takes the first (48 bytes; see ticketKey48 for 80-byte
    // keys); the ticket hook (ticket-renewal.ts) holds all of them.
    if (settings.sessionTickets && settings.ticketKeys?.[0]) base.ticketKeys = ticketKey48(settings.ticketKeys[0]);
    // The escape hatch: hooks see (and may change) the options object Node builds the context from.
    for (const hook of settings.nativeHooks) hook(base);
    // A native hook may have set its own key: that one seals, ours after it still open.
    const first = settings.sessionTickets && Buffer.isBuffer(base.ticketKeys) && base.ticketKeys.length === 48 ? base.ticketKeys : undefined;
    this.ticketKeys = first ? [first, ...(settings.ticketKeys ?? []).slice(1).map(ticketKey48)] : undefined;
    this.base = base;
  }

  contextFor(certKey: CertKey): SecureContext {
    let ctx = this.byCertKey.get(certKey);
    if (!ctx) {
      ctx = createSecureContext({ ...this.base, cert: certKey.chainPem, key: certKey.keyPem });
      // TLS 1.3 resumption: a new ticket before application data (see ticket-renewal.ts).
      if (this.settings.sessionTickets) renewTicketsOnResumption(ctx, this.ticketKeys);
      this.byCertKey.set(certKey, ctx);
    }
    return ctx;
  }

  /** Compiles the default certificate's context now (a bad certificate then fails when the settings are built). */
  compileDefault(): void {
    void this.defaultContext;
  }

  get defaultContext(): SecureContext | undefined {
    return this.settings.certKey ? this.contextFor(this.settings.certKey) : undefined;
  }
}
