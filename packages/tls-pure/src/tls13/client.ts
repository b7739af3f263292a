import type { X509Certificate } from 'node:crypto';
import { chainDer, serverCertificate } from '../cert-chain.js';
import { PeerMisbehaved, fatal } from '../alerts.js';
import { Reader, constantTimeEqual } from '../bytes.js';
import type { ClientHelloBuilder } from '../client-hello.js';
import type { ClientConfig } from '../config.js';
import type { EngineContext, Handshaker } from '../context.js';
import { keyKind } from '../crypto/provider.js';
import { chooseScheme } from '../crypto/schemes.js';
import { KeySchedule13 } from '../key-schedule.js';
import {
  certificateVerifyContent, encodeCertificate13, encodeCertificateVerify, parseCertificate13,
  parseCertificateRequest13, parseKeyUpdate,
} from '../messages/certificate.js';
import { Ext, parseAlpn, parseRecordSizeLimit, u16List } from '../messages/extensions.js';
import { HandshakeType, checkFinished, encodeHandshake, type HandshakeMessage } from '../messages/handshake.js';
import { HRR_RANDOM, parseServerHello, type ServerHello } from '../messages/hello.js';
import { newClientKeyShare } from '../key-share.js';
import { groupName, type CipherSuite } from '../suites.js';
import { Transcript } from '../transcript.js';
import {
  applicationTrafficSecrets, handshakeTrafficSecrets, keyUpdateMessage, parseNewSessionTicket, protectionFor, verifyPeerCertificateVerify,
} from './common.js';

type State = 'ServerHello' | 'EncryptedExtensions' | 'CertificateOrRequest' | 'Certificate' | 'CertificateVerify' | 'Finished' | 'Traffic';

/**
 * The TLS 1.3 client (RFC 8446), from the first ServerHello that chose TLS 1.3 (the
 * version-neutral ClientHelloDispatcher sent the ClientHello). States are named for the message
 * awaited.
 */
export class Tls13Client implements Handshaker {
  private state: State = 'ServerHello';
  private readonly transcript = new Transcript();
  private readonly random: Uint8Array;
  private readonly sessionId: Uint8Array;
  private retried = false;
  private ccsSent = false;
  private suite!: CipherSuite;
  private ks!: KeySchedule13;
  private group: string | undefined;
  private clientHsSecret!: Uint8Array;
  private serverHsSecret!: Uint8Array;
  private clientAppSecret!: Uint8Array;
  private serverAppSecret!: Uint8Array;
  private alpn: string | undefined;
  private peerCert: X509Certificate | undefined;
  private certRequest: { context: Uint8Array; sigAlgs: number[] } | undefined;
  private resumed = false;
  /** RFC 8446 7.1 resumption_master_secret, for the tickets that arrive after the handshake. */
  private resumptionMaster: Uint8Array | undefined;

  /** Continues from the ClientHello `hello` wrote (ClientHelloDispatcher sent it). */
  constructor(private readonly ctx: EngineContext, private readonly cfg: ClientConfig, private readonly hello: ClientHelloBuilder) {
    this.random = hello.random;
    this.sessionId = hello.sessionId;
    this.transcript.add(hello.firstHelloRaw!);
  }

  /** The retried ClientHello after a HelloRetryRequest (RFC 8446 4.1.2). */
  private sendClientHello(): void {
    const raw = this.hello.build(this.transcript, this.suite);
    this.transcript.add(raw);
    this.ctx.sendHandshake(raw);
  }

  onChangeCipherSpec(): void {
    if (this.state === 'Traffic') throw fatal(PeerMisbehaved.UnexpectedChangeCipherSpec, 'after the handshake');
  }

  onHandshake(msg: HandshakeMessage): void {
    switch (this.state) {
      case 'ServerHello':
        if (msg.type !== HandshakeType.server_hello) throw fatal(PeerMisbehaved.UnexpectedHandshakeMessage, `expected ServerHello, got ${msg.type}`);
        return this.onServerHello(msg, parseServerHello(msg.body));
      case 'EncryptedExtensions':
        return this.onEncryptedExtensions(msg);
      case 'CertificateOrRequest':
        if (msg.type === HandshakeType.certificate_request) return this.onCertificateRequest(msg);
        return this.onCertificate(msg);
      case 'Certificate':
        return this.onCertificate(msg);
      case 'CertificateVerify':
        return this.onCertificateVerify(msg);
      case 'Finished':
        return this.onFinished(msg);
      case 'Traffic':
        return this.onPostHandshake(msg);
    }
  }

  keyUpdate(requestPeer: boolean): void {
    this.ctx.sendHandshake(keyUpdateMessage(requestPeer));
    this.clientAppSecret = this.ks.nextTrafficSecret(this.clientAppSecret);
    this.ctx.setWriteProtection(protectionFor(this.ctx.provider, this.suite, this.clientAppSecret));
  }

  /** A ServerHello or HelloRetryRequest that chose TLS 1.3 (the first one comes from ClientHelloDispatcher). */
  onServerHello(msg: HandshakeMessage, sh: ServerHello): void {
    const sv = sh.extensions.get(Ext.supported_versions);
    let version = sh.legacyVersion;
    if (sv) {
      const r = new Reader(sv, 'supported_versions');
      version = r.u16();
      r.end();
    }
    if (version !== 0x0304 || !this.hello.offers13) throw fatal(PeerMisbehaved.VersionNotOffered, `0x${version.toString(16)}`);
    if (!constantTimeEqual(sh.sessionId, this.sessionId)) throw fatal(PeerMisbehaved.SessionIdEchoMismatch);
    if (sh.compression !== 0) throw fatal(PeerMisbehaved.ServerHelloWithCompression);
    const suite = this.cfg.tls13Suites.find((s) => s.code === sh.cipherSuite);
    if (!suite) throw fatal(PeerMisbehaved.CipherSuiteNotOffered);
    if (this.retried && suite !== this.suite) throw fatal(PeerMisbehaved.CipherSuiteChangedAfterRetry);
    this.suite = suite;
    this.ctx.setVersion('TLSv1.3');
    if (constantTimeEqual(sh.random, HRR_RANDOM)) return this.onHelloRetryRequest(msg, sh);

    for (const t of sh.extensions.keys()) {
      if (t !== Ext.key_share && t !== Ext.supported_versions && t !== Ext.pre_shared_key) {
        throw fatal(PeerMisbehaved.UnsolicitedExtension, `${t} in ServerHello`);
      }
    }
    const ksData = sh.extensions.get(Ext.key_share);
    if (!ksData) throw fatal(PeerMisbehaved.MissingServerKeyShare);
    const r = new Reader(ksData, 'key_share');
    const groupCode = r.u16();
    const share = r.vec16(1);
    r.end();
    const kx = this.hello.shares.get(groupCode);
    if (!kx) throw fatal(PeerMisbehaved.GroupNotOffered);
    this.group = kx.group;
    let psk: Uint8Array | undefined;
    const pskData = sh.extensions.get(Ext.pre_shared_key);
    if (pskData) {
      const pr = new Reader(pskData, 'pre_shared_key');
      const index = pr.u16();
      pr.end();
      if (!this.hello.offeredPsk || index !== 0) throw fatal(PeerMisbehaved.ResumedSessionNotOffered);
      const pskSuite = this.cfg.tls13Suites.find((s) => s.code === this.hello.offeredPsk!.suite);
      if (!pskSuite || pskSuite.hash !== suite.hash) throw fatal(PeerMisbehaved.PskHashMismatch);
      psk = this.hello.offeredPsk.secret;
      this.resumed = true;
      this.peerCert = this.hello.offeredPsk.peerCertificate;
    }
    // RFC 8446 4.2.8.2 checks; for X25519MLKEM768 the size check of draft-ietf-tls-ecdhe-mlkem 3.
    const shared = kx.complete(share);
    this.transcript.add(msg.raw);
    const p = this.ctx.provider;
    this.ks = new KeySchedule13(p, suite.hash, psk);
    this.ks.inputHandshakeSecret(shared);
    ({ client: this.clientHsSecret, server: this.serverHsSecret } = handshakeTrafficSecrets(this.ctx, this.ks, this.transcript, this.random));
    this.ctx.setReadProtection(protectionFor(p, suite, this.serverHsSecret));
    // From here our alerts must be protected too (RFC 8446 5: the server reads with these keys).
    this.ctx.setWriteProtection(protectionFor(p, suite, this.clientHsSecret));
    this.state = 'EncryptedExtensions';
  }

  private onHelloRetryRequest(msg: HandshakeMessage, sh: ServerHello): void {
    if (this.retried) throw fatal(PeerMisbehaved.SecondHelloRetryRequest);
    this.retried = true;
    for (const t of sh.extensions.keys()) {
      if (t !== Ext.key_share && t !== Ext.supported_versions && t !== Ext.cookie) throw fatal(PeerMisbehaved.UnsolicitedExtension, `${t} in HelloRetryRequest`);
    }
    const ksData = sh.extensions.get(Ext.key_share);
    const cookie = sh.extensions.get(Ext.cookie);
    if (cookie) this.hello.cookie = new Reader(cookie, 'cookie').vec16(1);
    let newGroup: number | undefined;
    if (ksData) {
      const r = new Reader(ksData, 'key_share');
      newGroup = r.u16();
      r.end();
      const name = groupName(newGroup);
      // RFC 8446 4.2.8: the group must be one we support and not one we already sent a share for.
      if (!name || !this.cfg.groups.includes(name) || this.hello.shares.has(newGroup)) {
        throw fatal(PeerMisbehaved.RetryRequestForUnusableGroup);
      }
      this.hello.shares = new Map([[newGroup, newClientKeyShare(this.ctx.provider, name)]]);
    } else if (!cookie) {
      throw fatal(PeerMisbehaved.RetryRequestWithoutChange);
    }
    this.transcript.replaceWithMessageHash(this.ctx.provider, this.suite.hash);
    this.transcript.add(msg.raw);
    this.sendCompatCcs();
    this.sendClientHello();
  }

  private sendCompatCcs(): void {
    if (this.ccsSent) return;
    this.ccsSent = true;
    this.ctx.sendChangeCipherSpec();
  }

  private onEncryptedExtensions(msg: HandshakeMessage): void {
    if (msg.type !== HandshakeType.encrypted_extensions) throw fatal(PeerMisbehaved.UnexpectedHandshakeMessage, `expected EncryptedExtensions, got ${msg.type}`);
    const r = new Reader(msg.body, 'EncryptedExtensions');
    const er = r.sub16('EncryptedExtensions');
    r.end();
    const seen = new Set<number>();
    while (er.remaining > 0) {
      const t = er.u16();
      const d = er.vec16();
      if (seen.has(t)) throw fatal(PeerMisbehaved.DuplicateExtension, `${t} in EncryptedExtensions`);
      seen.add(t);
      if (t === Ext.alpn) {
        if (!this.cfg.alpn?.length) throw fatal(PeerMisbehaved.UnsolicitedExtension, 'ALPN in EncryptedExtensions');
        const list = parseAlpn(d);
        if (list.length !== 1 || !this.cfg.alpn.includes(list[0]!)) throw fatal(PeerMisbehaved.AlpnNotOffered);
        this.alpn = list[0];
      } else if (t === Ext.server_name) {
        if (!this.cfg.serverName || d.length !== 0) throw fatal(PeerMisbehaved.UnsolicitedExtension, 'server_name in EncryptedExtensions');
      } else if (t === Ext.record_size_limit) {
        // RFC 8449 4: in TLS 1.3 the limit counts the content type byte.
        this.ctx.setMaxFragment(parseRecordSizeLimit(d) - 1);
      } else if (t === Ext.supported_groups) {
        // Informational only (RFC 8446 4.2.7).
      } else {
        throw fatal(PeerMisbehaved.UnsolicitedExtension, `${t} in EncryptedExtensions`);
      }
    }
    this.transcript.add(msg.raw);
    this.state = this.resumed ? 'Finished' : 'CertificateOrRequest';
  }

  private onCertificateRequest(msg: HandshakeMessage): void {
    const { context, extensions } = parseCertificateRequest13(msg.body);
    const sa = extensions.get(Ext.signature_algorithms);
    if (!sa) throw fatal(PeerMisbehaved.MissingSignatureAlgorithms, 'CertificateRequest');
    this.certRequest = { context, sigAlgs: u16List(sa, 'signature_algorithms') };
    this.transcript.add(msg.raw);
    this.state = 'Certificate';
  }

  private onCertificate(msg: HandshakeMessage): void {
    if (msg.type !== HandshakeType.certificate) throw fatal(PeerMisbehaved.UnexpectedHandshakeMessage, `expected Certificate, got ${msg.type}`);
    const { context, chain } = parseCertificate13(msg.body);
    if (context.length !== 0) throw fatal(PeerMisbehaved.CertificateRequestContextMismatch);
    this.peerCert = serverCertificate(chain, this.cfg, this.ctx.source);
    this.transcript.add(msg.raw);
    this.state = 'CertificateVerify';
  }

  private onCertificateVerify(msg: HandshakeMessage): void {
    if (msg.type !== HandshakeType.certificate_verify) throw fatal(PeerMisbehaved.UnexpectedHandshakeMessage, `expected CertificateVerify, got ${msg.type}`);
    verifyPeerCertificateVerify(this.ctx.provider, this.suite.hash, this.transcript, this.peerCert!, 'server', msg.body);
    this.transcript.add(msg.raw);
    this.state = 'Finished';
  }

  private onFinished(msg: HandshakeMessage): void {
    if (msg.type !== HandshakeType.finished) throw fatal(PeerMisbehaved.UnexpectedHandshakeMessage, `expected Finished, got ${msg.type}`);
    const p = this.ctx.provider;
    const expected = this.ks.finishedMac(this.serverHsSecret, this.transcript.hash(p, this.suite.hash));
    checkFinished(expected, msg.body, 'server');
    this.transcript.add(msg.raw);
    this.ks.inputMasterSecret();
    ({ client: this.clientAppSecret, server: this.serverAppSecret } = applicationTrafficSecrets(this.ctx, this.ks, this.transcript, this.random));
    this.ctx.setReadProtection(protectionFor(p, this.suite, this.serverAppSecret));

    this.sendCompatCcs();
    if (this.certRequest) this.sendClientCertificate(this.certRequest);
    this.send(HandshakeType.finished, this.ks.finishedMac(this.clientHsSecret, this.transcript.hash(p, this.suite.hash)));
    this.ctx.setWriteProtection(protectionFor(p, this.suite, this.clientAppSecret));
    this.resumptionMaster = this.ks.derive('res master', this.transcript.hash(p, this.suite.hash));
    this.state = 'Traffic';
    this.ctx.complete({
      version: 'TLSv1.3', cipher: this.suite.name, group: this.group, sni: this.cfg.serverName, alpn: this.alpn,
      sessionReused: this.resumed, peerCertificate: this.peerCert,
    });
  }

  private sendClientCertificate(req: { context: Uint8Array; sigAlgs: number[] }): void {
    const ck = this.cfg.clientCertKey;
    const scheme = ck ? chooseScheme(keyKind(ck.key), req.sigAlgs, true) : undefined;
    if (!ck || scheme === undefined) {
      // RFC 8446 4.4.2: no suitable certificate means an empty Certificate message.
      this.send(HandshakeType.certificate, encodeCertificate13(req.context, []));
      return;
    }
    this.send(HandshakeType.certificate, encodeCertificate13(req.context, chainDer(ck)));
    const content = certificateVerifyContent('client', this.transcript.hash(this.ctx.provider, this.suite.hash));
    this.send(HandshakeType.certificate_verify, encodeCertificateVerify(scheme, this.ctx.provider.sign(ck.key, scheme, content)));
  }

  private send(type: number, body: Uint8Array): void {
    const raw = encodeHandshake(type, body);
    this.transcript.add(raw);
    this.ctx.sendHandshake(raw);
  }

  private onPostHandshake(msg: HandshakeMessage): void {
    if (msg.type === HandshakeType.new_session_ticket) {
      const t = parseNewSessionTicket(msg.body);
      if (this.cfg.sessionCache && t.lifetime > 0 && this.resumptionMaster) {
        this.cfg.sessionCache.put(this.cfg.sessionKey, {
          version: 'TLSv1.3', suite: this.suite.code, ticket: t.ticket.slice(), secret: this.ks.resumptionPsk(this.resumptionMaster, t.nonce),
          ageAdd: t.ageAdd, receivedAt: Date.now(), lifetimeS: t.lifetime, alpn: this.alpn, peerCertificate: this.peerCert, ems: true,
        });
      }
      return;
    }
    if (msg.type !== HandshakeType.key_update) throw fatal(PeerMisbehaved.UnexpectedHandshakeMessage, `type ${msg.type} after the handshake`);
    const requested = parseKeyUpdate(msg.body);
    this.serverAppSecret = this.ks.nextTrafficSecret(this.serverAppSecret);
    this.ctx.setReadProtection(protectionFor(this.ctx.provider, this.suite, this.serverAppSecret));
    if (requested) this.keyUpdate(false);
  }
}
