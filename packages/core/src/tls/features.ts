/**
 * What a backend can do. Settings compute the features they need; a backend that lacks one
 * throws TlsFeatureUnsupportedError when the settings are compiled.
 */
export type TlsFeature =
  | 'tls1.2'
  | 'tls1.3'
  | 'alpn'
  | 'alpn-custom'
  | 'client-auth-required'
  | 'client-auth-optional'
  | 'keylog'
  | 'certificate-callback'
  | 'async-certificate-callback'
  | 'session-tickets'
  | 'disable-session-tickets'
  /** TLS 1.2 session-ID resumption with a server-side cache (TlsSettings.setSessionIdCache). */
  | 'session-id-cache'
  /**
   * setSessionIdCache with a SessionIdStore: sessions are stored in, and looked up (asynchronously)
   * from, a store outside the listener, such as the one the primary shares with every worker.
   */
  | 'session-id-cache-shared'
  | 'native'
  | 'client-certificate'
  | 'custom-ca'
  | 'verify-disable'
  | 'no-sni'
  /** The hybrid post-quantum key exchange X25519MLKEM768 (0x11EC), listener and connector. */
  | 'group-x25519mlkem768'
  /** TlsSettings.setTicketKeys with one key: tickets any process given the same key can open. */
  | 'session-ticket-keys'
  /** setTicketKeys with several keys: the first encrypts, the others still decrypt (rotation). */
  | 'session-ticket-key-rotation';
