import type { CertKey, ClientHelloInfo, ErrorSource, SslDigest, TlsEngine, TlsVersion } from '@proxy/core';
import { TlsAlertReceivedError, TlsHandshakeError, peerCertificateInfo } from '@proxy/core';
import { AlertDescription, PeerMisbehaved, PureTlsProtocolError, alertName, fatal, isTlsError } from './alerts.js';
import { toHex } from './bytes.js';
import type { CryptoProvider } from './crypto/provider.js';
import type { EngineContext, Handshaker, Negotiated } from './context.js';
import { HandshakeReassembler } from './messages/handshake.js';
import { ContentType, MAX_PLAINTEXT, RecordDeframer, encodeRecord } from './record/framing.js';
import type { RecordProtection } from './record/protection.js';

/** How many warning alerts / empty records in a row we tolerate before calling it abuse. */
const MAX_IGNORED = 32;

/**
 * The sans-IO TLS connection: the record layer (RFC 8446 section 5) and alert handling shared
 * by both sides and both versions; the handshake itself is delegated to a Handshaker. Every
 * fatal condition queues the alert RFC 8446 section 6 prescribes, then throws a typed
 * TlsHandshakeError; the engine stays failed afterwards.
 */
export class PureTlsEngine implements TlsEngine, EngineContext {
  readonly source: ErrorSource;
  handshakeDone = false;
  peerClosed = false;
  pendingClientHello: ClientHelloInfo | undefined;

  private handshaker!: Handshaker;
  private readonly deframer = new RecordDeframer();
  private readonly reassembler = new HandshakeReassembler();
  private readProtection: RecordProtection | undefined;
  private writeProtection: RecordProtection | undefined;
  private readonly output: Uint8Array[] = [];
  private readonly plaintext: Uint8Array[] = [];
  private pendingHandshake: Uint8Array[] = [];
  private resumeWith: ((c: CertKey | undefined) => void) | undefined;
  private negotiated: Negotiated | undefined;
  private version: TlsVersion | undefined;
  private maxFragment = MAX_PLAINTEXT;
  private closeSent = false;
  private failure: Error | undefined;
  private ignored = 0;
  private earlySkip: 'trial-decrypt' | 'plaintext-appdata' | undefined;
  /** Early data we are willing to discard (RFC 8446 4.2.10 max_early_data_size; we never accept any). */
  private earlyBudget = 1 << 16;

  constructor(
    readonly side: 'client' | 'server',
    readonly provider: CryptoProvider,
    private readonly keylogLine: ((line: string) => void) | undefined,
    makeHandshaker: (ctx: EngineContext) => Handshaker,
  ) {
    this.source = side === 'server' ? 'downstream' : 'upstream';
    this.handshaker = makeHandshaker(this);
  }

  // ---- TlsEngine ----

  start(): void {
    this.guard(() => {
      this.handshaker.start?.();
      this.flushHandshake();
    });
  }

  receive(data: Uint8Array): void {
    this.guard(() => {
      this.deframer.push(data);
      this.pump();
    });
  }

  send(data: Uint8Array): void {
    this.guard(() => {
      if (!this.handshakeDone || !this.writeProtection) throw new TlsHandshakeError('send before the handshake completed', { source: 'internal' });
      if (this.closeSent) throw new TlsHandshakeError('send after close', { source: 'internal' });
      for (let o = 0; o < data.length; o += this.maxFragment) {
        this.output.push(...this.writeProtection.sealParts(ContentType.application_data, data.subarray(o, o + this.maxFragment)));
      }
    });
  }

  close(): void {
    if (this.closeSent || this.failure) return;
    this.guard(() => {
      this.flushHandshake();
      this.queueAlert(AlertDescription.close_notify);
      this.closeSent = true;
    });
  }

  pullOutput(): Uint8Array | null {
    if (this.output.length === 0) return null;
    if (this.output.length === 1) return this.output.pop()!;
    const all = Buffer.concat(this.output.splice(0));
    return new Uint8Array(all.buffer, all.byteOffset, all.byteLength);
  }

  /** Every pending record as it was sealed: EngineStream writes them with one writev, no concat. */
  pullOutputChunks(): Uint8Array[] {
    return this.output.length === 0 ? [] : this.output.splice(0);
  }

  pullPlaintext(): Uint8Array | null {
    return this.plaintext.shift() ?? null;
  }

  selectCertificate(certKey: CertKey | undefined): void {
    const resume = this.resumeWith;
    if (!resume) return;
    this.resumeWith = undefined;
    this.pendingClientHello = undefined;
    this.guard(() => {
      resume(certKey);
      this.pump();
    });
  }

  digest(): SslDigest {
    const n = this.negotiated;
    if (!n) throw new TlsHandshakeError('digest before the handshake completed', { source: 'internal' });
    return { backend: 'pure', ...n, peerCertificate: n.peerCertificate ? peerCertificateInfo(n.peerCertificate) : undefined };
  }

  closeDelayMs(): number {
    return 0;
  }

  destroy(): void {
    this.output.length = 0;
    this.plaintext.length = 0;
  }

  /** TLS 1.3 KeyUpdate (RFC 8446 4.6.3): new write keys, and optionally ask the peer for new ones too. */
  keyUpdate(requestPeer = false): void {
    this.guard(() => {
      if (!this.handshakeDone || !this.handshaker.keyUpdate) throw new TlsHandshakeError('KeyUpdate needs an established TLS 1.3 connection', { source: 'internal' });
      this.handshaker.keyUpdate(requestPeer);
      this.flushHandshake();
    });
  }

  /** The negotiated version, once the hello exchange has fixed it. */
  get protocolVersion(): TlsVersion | undefined {
    return this.version;
  }

  // ---- EngineContext ----

  sendHandshake(raw: Uint8Array): void {
    this.pendingHandshake.push(raw);
  }

  sendChangeCipherSpec(): void {
    this.flushHandshake();
    this.output.push(encodeRecord(ContentType.change_cipher_spec, 0x0303, Uint8Array.of(1)));
  }

  setReadProtection(p: RecordProtection): void {
    if (this.reassembler.pending) throw fatal(PeerMisbehaved.KeyChangeInsideHandshakeMessage);
    this.readProtection = p;
  }

  setWriteProtection(p: RecordProtection): void {
    this.flushHandshake();
    this.writeProtection = p;
  }

  setVersion(v: TlsVersion): void {
    this.version = v;
  }

  setMaxFragment(n: number): void {
    this.maxFragment = Math.max(64, Math.min(MAX_PLAINTEXT, n));
  }

  complete(n: Negotiated): void {
    this.negotiated = n;
    this.handshakeDone = true;
  }

  pauseForCertificate(hello: ClientHelloInfo, resume: (certKey: CertKey | undefined) => void): void {
    this.pendingClientHello = hello;
    this.resumeWith = resume;
  }

  replaceHandshaker(h: Handshaker): void {
    this.handshaker = h;
  }

  skipEarlyData(mode: 'trial-decrypt' | 'plaintext-appdata' | undefined): void {
    this.earlySkip = mode;
  }

  private chargeEarly(n: number): void {
    this.earlyBudget -= n;
    if (this.earlyBudget < 0) throw fatal(PeerMisbehaved.TooMuchEarlyData);
  }

  sendWarning(desc: number): void {
    this.flushHandshake();
    this.output.push(this.record(ContentType.alert, Uint8Array.of(1, desc)));
  }

  keylog(label: string, clientRandom: Uint8Array, secret: Uint8Array | (() => Uint8Array)): void {
    if (!this.keylogLine) return;
    this.keylogLine(`${label} ${toHex(clientRandom)} ${toHex(typeof secret === 'function' ? secret() : secret)}`);
  }

  // ---- record layer ----

  private pump(): void {
    while (!this.resumeWith && !this.failure) {
      const msg = this.reassembler.next();
      if (msg) {
        this.handshaker.onHandshake(msg);
        this.flushHandshake();
        continue;
      }
      const rec = this.deframer.next();
      if (!rec) break;
      this.processRecord(rec.type, rec.header, rec.fragment);
    }
    this.flushHandshake();
  }

  private processRecord(outerType: number, header: Uint8Array, fragment: Uint8Array): void {
    if (this.peerClosed) return; // RFC 8446 6.1: data after close_notify is ignored
    if (outerType === ContentType.change_cipher_spec) {
      // RFC 8446 5: a plaintext CCS of the single byte 1 is the only form allowed.
      if (fragment.length !== 1 || fragment[0] !== 1) throw fatal(PeerMisbehaved.MalformedChangeCipherSpec);
      if (this.reassembler.pending) throw fatal(PeerMisbehaved.ChangeCipherSpecInsideHandshakeMessage);
      if (++this.ignored > MAX_IGNORED) throw fatal(PeerMisbehaved.TooManyIgnoredRecords, 'ChangeCipherSpec');
      this.handshaker.onChangeCipherSpec();
      return;
    }
    let type = outerType;
    let content = fragment;
    if (this.earlySkip === 'plaintext-appdata' && outerType === ContentType.application_data && !this.readProtection) {
      return this.chargeEarly(fragment.length);
    }
    if (this.readProtection && this.version === 'TLSv1.3' && outerType === ContentType.alert) {
      // RFC 8446 5.2: every protected TLS 1.3 record says application_data outside, so this alert
      // is plaintext: a peer that could not use our keys (say, after our Finished) has given up.
      // Nobody is left to read an answer: close without one.
      return this.onPlaintextAlert(fragment);
    }
    if (this.readProtection) {
      if (this.earlySkip === 'trial-decrypt' && outerType === ContentType.application_data) {
        try {
          ({ type, content } = this.readProtection.open(outerType, header, fragment));
          this.earlySkip = undefined;
        } catch (e) {
          if (!(e instanceof PureTlsProtocolError && e.condition === PeerMisbehaved.BadRecordMac)) throw e;
          return this.chargeEarly(fragment.length);
        }
      } else {
        ({ type, content } = this.readProtection.open(outerType, header, fragment));
      }
    } else if (fragment.length > MAX_PLAINTEXT) {
      throw fatal(PeerMisbehaved.PlaintextRecordTooLong);
    } else if (outerType === ContentType.application_data) {
      throw fatal(PeerMisbehaved.ApplicationDataBeforeHandshake);
    }
    if (this.reassembler.pending && type !== ContentType.handshake) {
      throw fatal(PeerMisbehaved.RecordInsideHandshakeMessage);
    }
    switch (type) {
      case ContentType.handshake:
        if (content.length === 0) throw fatal(PeerMisbehaved.EmptyHandshakeRecord);
        this.reassembler.push(content);
        this.ignored = 0;
        return;
      case ContentType.alert:
        return this.onAlert(content);
      case ContentType.application_data:
        if (!this.handshakeDone) throw fatal(PeerMisbehaved.ApplicationDataBeforeHandshake);
        if (content.length === 0) {
          if (++this.ignored > MAX_IGNORED) throw fatal(PeerMisbehaved.TooManyIgnoredRecords, 'empty records');
          return;
        }
        this.ignored = 0;
        // Decryption produced a fresh buffer: hand it over without another copy.
        this.plaintext.push(content);
        return;
      default:
        throw fatal(PeerMisbehaved.UnknownRecordContentType, `inner type ${type}`);
    }
  }

  private onAlert(content: Uint8Array): void {
    // RFC 8446 5.1: zero-length alert fragments must not be sent; that is unexpected_message.
    if (content.length === 0) throw fatal(PeerMisbehaved.EmptyAlertRecord);
    if (content.length !== 2) throw fatal(PeerMisbehaved.MalformedAlert);
    const [level, desc] = [content[0]!, content[1]!];
    if (desc === AlertDescription.close_notify) {
      this.peerClosed = true;
      return;
    }
    // RFC 8446 6.1: user_canceled is followed by close_notify; RFC 5246 7.2.2 TLS 1.2 warnings may be ignored.
    const ignorable = desc === AlertDescription.user_canceled || (this.version === 'TLSv1.2' && level === 1 && desc !== AlertDescription.no_renegotiation);
    if (ignorable) {
      if (++this.ignored > MAX_IGNORED) throw fatal(PeerMisbehaved.TooManyIgnoredRecords, 'warning alerts');
      return;
    }
    // The peer has given up: nothing is sent back.
    throw new TlsAlertReceivedError(desc, alertName(desc), this.source);
  }

  /** A plaintext alert where TLS 1.3 records are protected: the peer is gone, nothing is sent back. */
  private onPlaintextAlert(content: Uint8Array): void {
    if (content.length === 2 && content[1] === AlertDescription.close_notify) {
      this.peerClosed = true;
      return;
    }
    if (content.length === 2) throw new TlsAlertReceivedError(content[1]!, alertName(content[1]!), this.source);
    throw fatal(PeerMisbehaved.MalformedPlaintextAlert);
  }

  private flushHandshake(): void {
    if (this.pendingHandshake.length === 0) return;
    const data = Buffer.concat(this.pendingHandshake);
    this.pendingHandshake = [];
    for (let o = 0; o < data.length; o += this.maxFragment) {
      this.output.push(this.record(ContentType.handshake, new Uint8Array(data.buffer, data.byteOffset + o, Math.min(this.maxFragment, data.length - o))));
    }
  }

  private queueAlert(desc: number): void {
    const level = desc === AlertDescription.close_notify || desc === AlertDescription.user_canceled ? 1 : 2;
    this.output.push(this.record(ContentType.alert, Uint8Array.of(level, desc)));
  }

  /** One record under the current write protection, or in plaintext before there is any. */
  private record(type: number, body: Uint8Array): Uint8Array {
    return this.writeProtection ? this.writeProtection.seal(type, body) : encodeRecord(type, 0x0303, body);
  }

  /** Runs `fn`; a failure queues its alert once, marks the engine failed and rethrows a typed error. */
  private guard(fn: () => void): void {
    if (this.failure) throw this.failure;
    try {
      fn();
    } catch (e) {
      // Parser errors are made without knowing the side; they are the peer's doing, so say which peer.
      const err: TlsHandshakeError = e instanceof PureTlsProtocolError && e.source === 'internal'
        ? e.withSource(this.source)
        : isTlsError(e)
        ? e
        : new TlsHandshakeError(`internal error: ${(e as Error)?.message ?? String(e)}`, { alert: AlertDescription.internal_error, source: this.source, cause: e });
      if (!(err instanceof TlsAlertReceivedError) && err.alert !== undefined && !this.closeSent) {
        this.pendingHandshake = [];
        try {
          this.queueAlert(err.alert);
        } catch {
          // nothing more we can do; the connection closes anyway
        }
      }
      this.failure = err;
      this.resumeWith = undefined;
      throw err;
    }
  }
}
