import { Writer } from './bytes.js';
import type { ClientConfig, StoredSession } from './config.js';
import type { EngineContext } from './context.js';
import { HASH_LEN } from './crypto/provider.js';
import { classicalGroups, initialShareGroups, newClientKeyShare, type ClientKeyShare } from './key-share.js';
import { OFFERED_SIGNATURE_SCHEMES } from './crypto/schemes.js';
import { Ext, encodeAlpn, encodeClientKeyShares, encodeServerName, encodeU16List, u16 } from './messages/extensions.js';
import { HandshakeType, encodeHandshake } from './messages/handshake.js';
import { encodeClientHello } from './messages/hello.js';
import { GROUP_CODES, type CipherSuite } from './suites.js';
import { pskBinder } from './tls13/common.js';
import type { Transcript } from './transcript.js';

/** What the first ClientHello offered; the client of the version the server picks continues from it. */
export interface ClientHelloOffer {
  random: Uint8Array;
  sessionId: Uint8Array;
  /** The first ClientHello, header included, as it goes into the transcript. */
  raw: Uint8Array;
  /** The TLS 1.2 suites offered. */
  suites: readonly CipherSuite[];
  /** A TLS 1.2 session whose ticket the ClientHello carried. */
  session12: StoredSession | undefined;
}

/**
 * The version-neutral ClientHello (RFC 8446 4.1.2, RFC 5246 7.4.1.2): one hello that offers
 * TLS 1.3 and/or TLS 1.2 as configured, with a resumption ticket of either version from the
 * session cache. It also writes the retried ClientHello after a HelloRetryRequest (new key
 * share, cookie, PSK binder over the new transcript). Used by ClientHelloDispatcher (the first
 * hello) and by Tls13Client (the retry); the TLS 1.2 client only reads the offer.
 */
export class ClientHelloBuilder {
  readonly random: Uint8Array;
  readonly sessionId: Uint8Array;
  /** Our key shares by group code; a HelloRetryRequest replaces them. */
  shares = new Map<number, ClientKeyShare>();
  cookie: Uint8Array | undefined;
  /** The TLS 1.3 session offered as a PSK; cleared when a retry makes it unusable. */
  offeredPsk: StoredSession | undefined;
  readonly session12: StoredSession | undefined;
  firstHelloRaw: Uint8Array | undefined;

  constructor(private readonly ctx: EngineContext, private readonly cfg: ClientConfig) {
    this.random = ctx.provider.random(32);
    // RFC 8446 D.4: a non-empty legacy_session_id turns on middlebox compatibility mode.
    this.sessionId = ctx.provider.random(32);
    // TLS 1.3 key shares; a TLS 1.2-only hello sends none (RFC 8446 4.2.8 is TLS 1.3's).
    if (this.offers13) {
      for (const group of initialShareGroups(cfg.groups)) this.shares.set(GROUP_CODES[group], newClientKeyShare(ctx.provider, group));
    }
    const session = cfg.sessionCache?.take(cfg.sessionKey);
    if (session?.version === 'TLSv1.3' && this.offers13) this.offeredPsk = session;
    this.session12 = session?.version === 'TLSv1.2' && this.offers12 ? session : undefined;
  }

  get offers13(): boolean {
    return this.cfg.maxVersion === 'TLSv1.3';
  }
  get offers12(): boolean {
    return this.cfg.minVersion === 'TLSv1.2';
  }

  /** For the TLS 1.2 client: what the first ClientHello offered. */
  offer(): ClientHelloOffer {
    return { random: this.random, sessionId: this.sessionId, raw: this.firstHelloRaw!, suites: this.cfg.tls12Suites, session12: this.session12 };
  }

  private suitesOffered(): CipherSuite[] {
    return [...(this.offers13 ? this.cfg.tls13Suites : []), ...(this.offers12 ? this.cfg.tls12Suites : [])];
  }

  /**
   * A ClientHello, header included. `transcript` holds what precedes it (empty for the first;
   * the message_hash and the HelloRetryRequest for a retry): the PSK binder covers it.
   * `retrySuite` is the suite a HelloRetryRequest fixed: a PSK of another hash is dropped.
   */
  build(transcript: Transcript, retrySuite?: CipherSuite): Uint8Array {
    const cfg = this.cfg;
    const exts: Array<[number, Uint8Array]> = [];
    if (cfg.serverName) exts.push([Ext.server_name, encodeServerName(cfg.serverName)]);
    if (this.offers12) {
      exts.push([Ext.ec_point_formats, Uint8Array.of(1, 0)]);
      exts.push([Ext.extended_master_secret, new Uint8Array(0)]);
      // RFC 5746 3.4: an empty renegotiation_info on the initial handshake.
      exts.push([Ext.renegotiation_info, Uint8Array.of(0)]);
      exts.push([Ext.session_ticket, this.session12?.ticket ?? new Uint8Array(0)]);
    }
    // The hybrid is a TLS 1.3 group: a TLS 1.2-only hello lists the classical ones.
    const groups = this.offers13 ? cfg.groups : classicalGroups(cfg.groups);
    exts.push([Ext.supported_groups, encodeU16List(groups.map((g) => GROUP_CODES[g]))]);
    // RFC 8449: we accept full-size records; the server's answer may shrink ours.
    exts.push([Ext.record_size_limit, u16(this.offers13 ? 16385 : 16384)]);
    exts.push([Ext.signature_algorithms, encodeU16List(OFFERED_SIGNATURE_SCHEMES)]);
    if (cfg.alpn?.length) exts.push([Ext.alpn, encodeAlpn(cfg.alpn)]);
    const versions = [...(this.offers13 ? [0x0304] : []), ...(this.offers12 ? [0x0303] : [])];
    exts.push([Ext.supported_versions, new Writer().nested8((w) => versions.forEach((v) => w.u16(v))).finish()]);
    if (this.offers13) {
      exts.push([Ext.psk_key_exchange_modes, Uint8Array.of(1, 1)]);
      exts.push([Ext.key_share, encodeClientKeyShares([...this.shares].map(([group, kx]) => ({ group, key: kx.publicKey })))]);
      if (this.cookie) exts.push([Ext.cookie, new Writer().vec16(this.cookie).finish()]);
    }
    const psk = this.offeredPsk;
    let hashLen = 0;
    if (psk) {
      const suite = cfg.tls13Suites.find((s) => s.code === psk.suite);
      if (suite && (!retrySuite || suite.hash === retrySuite.hash)) {
        hashLen = HASH_LEN[suite.hash];
        const age = (Date.now() - psk.receivedAt + psk.ageAdd) >>> 0;
        const identities = new Writer().vec16(psk.ticket).u32(age).finish();
        const binders = new Writer().vec8(new Uint8Array(hashLen)).finish();
        // RFC 8446 4.2.11: pre_shared_key is the last extension.
        exts.push([Ext.pre_shared_key, new Writer().vec16(identities).vec16(binders).finish()]);
      } else this.offeredPsk = undefined;
    }
    const raw = encodeHandshake(HandshakeType.client_hello, encodeClientHello({
      random: this.random, sessionId: this.sessionId, cipherSuites: this.suitesOffered().map((s) => s.code), extensions: exts,
    }));
    if (this.offeredPsk) {
      // RFC 8446 4.2.11.2: the binder covers the ClientHello up to (not including) the binders list.
      const suite = cfg.tls13Suites.find((s) => s.code === this.offeredPsk!.suite)!;
      const truncated = raw.subarray(0, raw.length - (hashLen + 3));
      raw.set(pskBinder(this.ctx.provider, suite.hash, this.offeredPsk.secret, transcript, truncated), raw.length - hashLen);
    }
    this.firstHelloRaw ??= raw;
    return raw;
  }
}
