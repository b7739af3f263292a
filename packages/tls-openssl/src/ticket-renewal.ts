import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { SecureContext } from 'node:tls';

/** The native context's ticket hook (Node's SecureContext binding: enableTicketKeyCallback / onticketkeycallback). */
interface NativeTicketHooks {
  enableTicketKeyCallback?: () => void;
  onticketkeycallback?: (name: Buffer, iv: Buffer, encrypt: boolean) => [number, Buffer, Buffer, Buffer?, Buffer?];
}

const PART = 16;
/** What a decrypt answer needs even when the ticket is refused (Node checks the AES key's length first). */
const REFUSED: [number, Buffer, Buffer] = [0, Buffer.alloc(PART), Buffer.alloc(PART)];

/**
 * Makes a server context issue a fresh session ticket on every resumed handshake, so that in
 * TLS 1.3 the NewSessionTicket comes right after the client's Finished and before any
 * application data, as openssl s_server and nginx do it.
 *
 * Why: Node's own ticket callback (TicketCompatibilityCallback) answers 1, "ticket fine, do not
 * renew", for every ticket it decrypts; OpenSSL then sends no NewSessionTicket at all after a
 * TLS 1.3 resumption (it only sends tickets when `ticket_expected`), so a client that resumed
 * gets application data where it waits for a ticket, and has to reuse the old one (RFC 8446
 * §C.4 asks clients not to). Answering 2, "renew", makes OpenSSL send a new one in the
 * handshake flight. Node has no public API for this; the hook used here is the native
 * SecureContext's `enableTicketKeyCallback`/`onticketkeycallback` pair (the one Node's own
 * test-https-resume-after-renew drives), present in Node 20 and 24. Where it is missing the
 * context keeps Node's behaviour and `installed` is false.
 *
 * `key48` is Node's 48-byte ticket key (name 16 | HMAC-SHA256 secret 16 | AES-128 key 16), so
 * tickets stay interchangeable with contexts using the same key through Node's `ticketKeys`
 * (other workers, an older build); without one a random key is made per context.
 */
export function renewTicketsOnResumption(context: SecureContext, key48: Buffer | undefined): boolean {
  const native = (context as unknown as { context?: NativeTicketHooks }).context;
  if (!native || typeof native.enableTicketKeyCallback !== 'function') return false;
  const key = key48 ?? randomBytes(48);
  const name = key.subarray(0, PART);
  const hmac = key.subarray(PART, 2 * PART);
  const aes = key.subarray(2 * PART, 3 * PART);
  native.enableTicketKeyCallback();
  native.onticketkeycallback = (ticketName, _iv, encrypt) => {
    if (encrypt) return [1, hmac, aes, name, randomBytes(PART)];
    // A ticket under another key (a restarted process, a rotated key): a full handshake.
    if (ticketName.length !== PART || !timingSafeEqual(ticketName, name)) return REFUSED;
    return [2, hmac, aes];
  };
  return true;
}
