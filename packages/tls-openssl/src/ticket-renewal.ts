import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createSecureContext, type SecureContext } from 'node:tls';

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
 * `keys48` are Node's 48-byte ticket keys (name 16 | HMAC-SHA256 secret 16 | AES-128 key 16),
 * so tickets stay interchangeable with contexts using the first through Node's `ticketKeys`
 * (other workers, an older build). The first seals new tickets; a ticket sealed under any of
 * them opens (and is renewed under the first): rotation. Without keys a random one is made per
 * context.
 */
export function renewTicketsOnResumption(context: SecureContext, keys48: readonly Buffer[] | undefined): boolean {
  const native = (context as unknown as { context?: NativeTicketHooks }).context;
  if (!native || typeof native.enableTicketKeyCallback !== 'function') return false;
  const keys = (keys48?.length ? keys48 : [randomBytes(48)]).map((key) => ({
    name: key.subarray(0, PART),
    hmac: key.subarray(PART, 2 * PART),
    aes: key.subarray(2 * PART, 3 * PART),
  }));
  const sealing = keys[0]!;
  native.enableTicketKeyCallback();
  native.onticketkeycallback = (ticketName, _iv, encrypt) => {
    if (encrypt) return [1, sealing.hmac, sealing.aes, sealing.name, randomBytes(PART)];
    const key = ticketName.length === PART ? keys.find((k) => timingSafeEqual(ticketName, k.name)) : undefined;
    // A ticket under a key not listed (a restarted process, a key rotated out): a full handshake.
    if (!key) return REFUSED;
    return [2, key.hmac, key.aes];
  };
  return true;
}

/** Whether this Node's native SecureContext has the ticket hook (then the backend holds several keys). */
export const TICKET_KEY_HOOK_AVAILABLE: boolean =
  typeof (createSecureContext({}) as unknown as { context?: NativeTicketHooks }).context?.enableTicketKeyCallback === 'function';
