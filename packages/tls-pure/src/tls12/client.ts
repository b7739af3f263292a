import type { X509Certificate } from 'node:crypto';
import { chainDer, serverCertificate } from '../cert-chain.js';
import { AlertDescription, PeerMisbehaved, fatal } from '../alerts.js';
import { Reader, Writer, constantTimeEqual } from '../bytes.js';
import type { ClientConfig } from '../config.js';
import type { EngineContext, Handshaker } from '../context.js';
import { keyKind, type GroupName, type KeyExchange } from '../crypto/provider.js';
import { TLS12_SIGNATURE_SCHEMES, chooseScheme, schemeFitsKey } from '../crypto/schemes.js';
import { encodeCertificate12, encodeCertificateVerify, parseCertificate12 } from '../messages/certificate.js';
import { Ext, parseAlpn, parseRecordSizeLimit, u16s } from '../messages/extensions.js';
import { HandshakeType, checkFinished, encodeHandshake, type HandshakeMessage } from '../messages/handshake.js';
import type { ServerHello } from '../messages/hello.js';
import { classicalGroups } from '../key-share.js';
import { groupName, type CipherSuite } from '../suites.js';
import { Transcript } from '../transcript.js';
import type { ClientHelloOffer } from '../client-hello.js';
import {
  checkInitialRenegotiationInfo, keyBlock12, type KeyBlock12, masterSecret12, parseNewSessionTicket12, parseServerKeyExchange, verifyData12,
} from './common.js';

type State =
  | 'Certificate' | 'ServerKeyExchange' | 'CertificateRequestOrDone' | 'ServerHelloDone'
  | 'NewSessionTicket' | 'ChangeCipherSpec' | 'Finished' | 'Traffic';

/** The TLS 1.2 client, continuing from the version-neutral ClientHello (ClientHelloDispatcher). */
export class Tls12Client implements Handshaker {
  private state: State = 'Certificate';
  private readonly transcript = new Transcript();
  private suite!: CipherSuite;
  private serverRandom!: Uint8Array;
  private ems = false;
  private alpn: string | undefined;
  private group: GroupName | undefined;
  private peerCert: X509Certificate | undefined;
  private serverPub: Uint8Array | undefined;
  private certRequest: number[] | undefined;
  private master!: Uint8Array;
  /** From the master secret on: the server's keys go on at its ChangeCipherSpec, ours at our own. */
  private keys: KeyBlock12 | undefined;
  private resumed = false;
  private expectTicket = false;

  constructor(private readonly ctx: EngineContext, private readonly cfg: ClientConfig, private readonly offer: ClientHelloOffer) {
    this.transcript.add(offer.raw);
  }

  onServerHello(msg: HandshakeMessage, sh: ServerHello): void {
    this.ctx.setVersion('TLSv1.2');
    const suite = this.offer.suites.find((s) => s.code === sh.cipherSuite);
    if (!suite) throw fatal(PeerMisbehaved.CipherSuiteNotOffered);
    if (sh.compression !== 0) throw fatal(PeerMisbehaved.ServerHelloWithCompression);
    this.suite = suite;
    this.serverRandom = sh.random;
    const allowed: number[] = [Ext.renegotiation_info, Ext.extended_master_secret, Ext.ec_point_formats, Ext.session_ticket, Ext.alpn, Ext.server_name, Ext.record_size_limit];
    for (const t of sh.extensions.keys()) if (!allowed.includes(t)) throw fatal(PeerMisbehaved.UnsolicitedExtension, `${t} in ServerHello`);
    checkInitialRenegotiationInfo(sh.extensions.get(Ext.renegotiation_info));
    this.ems = sh.extensions.has(Ext.extended_master_secret);
    if (this.ems && sh.extensions.get(Ext.extended_master_secret)!.length !== 0) throw fatal(PeerMisbehaved.ExtendedMasterSecretWithData);
    const rsl = sh.extensions.get(Ext.record_size_limit);
    // RFC 8449 4: in TLS 1.2 the limit is the plaintext length; it applies once keys are on.
    if (rsl) this.ctx.setMaxFragment(parseRecordSizeLimit(rsl));
    this.expectTicket = sh.extensions.has(Ext.session_ticket);
    const alpn = sh.extensions.get(Ext.alpn);
    if (alpn) {
      const list = parseAlpn(alpn);
      if (!this.cfg.alpn?.length || list.length !== 1 || !this.cfg.alpn.includes(list[0]!)) throw fatal(PeerMisbehaved.AlpnNotOffered);
      this.alpn = list[0];
    }
    this.transcript.add(msg.raw);
    const session = this.offer.session12;
    if (sh.sessionId.length > 0 && constantTimeEqual(sh.sessionId, this.offer.sessionId)) {
      // RFC 5077 3.4: the echoed session id means the server accepted our ticket.
      if (!session || session.suite !== suite.code) throw fatal(PeerMisbehaved.ResumedSessionNotOffered);
      if (session.ems !== this.ems) throw fatal(PeerMisbehaved.ExtendedMasterSecretChangedOnResumption);
      this.resumed = true;
      this.master = session.secret;
      this.peerCert = session.peerCertificate;
      this.alpn = this.alpn ?? session.alpn;
      this.ctx.keylog('CLIENT_RANDOM', this.offer.random, this.master);
      this.keys = keyBlock12(this.ctx.provider, suite, this.master, this.offer.random, this.serverRandom);
      this.state = this.expectTicket ? 'NewSessionTicket' : 'ChangeCipherSpec';
      return;
    }
    this.state = 'Certificate';
  }

  onChangeCipherSpec(): void {
    if (this.state !== 'ChangeCipherSpec') throw fatal(PeerMisbehaved.UnexpectedChangeCipherSpec, this.state);
    this.ctx.setReadProtection(this.keys!.server);
    this.state = 'Finished';
  }

  onHandshake(msg: HandshakeMessage): void {
    switch (this.state) {
      case 'Certificate':
        return this.onCertificate(msg);
      case 'ServerKeyExchange':
        return this.onServerKeyExchange(msg);
      case 'CertificateRequestOrDone':
        if (msg.type === HandshakeType.certificate_request) return this.onCertificateRequest(msg);
        return this.onServerHelloDone(msg);
      case 'ServerHelloDone':
        return this.onServerHelloDone(msg);
      case 'NewSessionTicket':
        return this.onNewSessionTicket(msg);
      case 'Finished':
        return this.onFinished(msg);
      case 'Traffic':
        // RFC 5746: renegotiation is refused; a HelloRequest gets a no_renegotiation warning.
        if (msg.type === HandshakeType.hello_request && msg.body.length === 0) return this.ctx.sendWarning(AlertDescription.no_renegotiation);
        throw fatal(PeerMisbehaved.UnexpectedHandshakeMessage, `type ${msg.type} after the handshake`);
      default:
        throw fatal(PeerMisbehaved.UnexpectedHandshakeMessage, `type ${msg.type} in ${this.state}`);
    }
  }

  private onCertificate(msg: HandshakeMessage): void {
    if (msg.type !== HandshakeType.certificate) throw fatal(PeerMisbehaved.UnexpectedHandshakeMessage, `expected Certificate, got ${msg.type}`);
    const chain = parseCertificate12(msg.body);
    this.peerCert = serverCertificate(chain, this.cfg, this.ctx.source);
    const kind = keyKind(this.peerCert.publicKey);
    if ((this.suite.auth === 'rsa') !== (kind === 'rsa')) throw fatal(PeerMisbehaved.CertificateKeyDoesNotFitSuite);
    this.transcript.add(msg.raw);
    this.state = 'ServerKeyExchange';
  }

  private onServerKeyExchange(msg: HandshakeMessage): void {
    if (msg.type !== HandshakeType.server_key_exchange) throw fatal(PeerMisbehaved.UnexpectedHandshakeMessage, `expected ServerKeyExchange, got ${msg.type}`);
    const ske = parseServerKeyExchange(msg.body);
    // The hybrid X25519MLKEM768 is in our supported_groups for TLS 1.3 only: never ECDHE params.
    const name = classicalGroups(this.cfg.groups).find((g) => g === groupName(ske.group));
    if (!name) throw fatal(PeerMisbehaved.GroupNotOffered, `0x${ske.group.toString(16)}`);
    const key = this.peerCert!.publicKey;
    if (!TLS12_SIGNATURE_SCHEMES.includes(ske.scheme) || !schemeFitsKey(ske.scheme, keyKind(key), false)) {
      throw fatal(PeerMisbehaved.SignatureSchemeNotOffered, 'ServerKeyExchange');
    }
    const signed = new Writer().bytes(this.offer.random).bytes(this.serverRandom).bytes(ske.params).finish();
    if (!this.ctx.provider.verify(key, ske.scheme, signed, ske.signature)) throw fatal(PeerMisbehaved.BadSignature, 'ServerKeyExchange');
    this.group = name;
    this.serverPub = ske.pub;
    this.transcript.add(msg.raw);
    this.state = 'CertificateRequestOrDone';
  }

  private onCertificateRequest(msg: HandshakeMessage): void {
    const r = new Reader(msg.body, 'CertificateRequest');
    r.vec8(1);
    const algs = r.vec16(2);
    r.vec16();
    r.end();
    this.certRequest = u16s(algs, 'signature_algorithms');
    this.transcript.add(msg.raw);
    this.state = 'ServerHelloDone';
  }

  private onServerHelloDone(msg: HandshakeMessage): void {
    if (msg.type !== HandshakeType.server_hello_done) throw fatal(PeerMisbehaved.UnexpectedHandshakeMessage, `expected ServerHelloDone, got ${msg.type}`);
    if (msg.body.length !== 0) throw fatal(PeerMisbehaved.ServerHelloDoneWithBody);
    this.transcript.add(msg.raw);
    const p = this.ctx.provider;
    const ck = this.cfg.clientCertKey;
    let scheme: number | undefined;
    if (this.certRequest) {
      scheme = ck ? chooseScheme(keyKind(ck.key), this.certRequest, false) : undefined;
      this.send(HandshakeType.certificate, encodeCertificate12(scheme !== undefined ? chainDer(ck!) : []));
    }
    let kx: KeyExchange;
    let pms: Uint8Array;
    try {
      kx = p.keyExchange(this.group!);
      pms = kx.agree(this.serverPub!);
    } catch {
      throw fatal(PeerMisbehaved.InvalidKeyShare);
    }
    this.send(HandshakeType.client_key_exchange, new Writer().vec8(kx.publicKey).finish());
    this.master = masterSecret12(p, this.suite, pms, this.ems, this.transcript.hash(p, this.suite.hash), this.offer.random, this.serverRandom);
    this.ctx.keylog('CLIENT_RANDOM', this.offer.random, this.master);
    if (scheme !== undefined) {
      this.send(HandshakeType.certificate_verify, encodeCertificateVerify(scheme, p.sign(ck!.key, scheme, this.transcript.bytes())));
    }
    this.keys = keyBlock12(p, this.suite, this.master, this.offer.random, this.serverRandom);
    this.sendFinished();
    this.state = this.expectTicket ? 'NewSessionTicket' : 'ChangeCipherSpec';
  }

  private onNewSessionTicket(msg: HandshakeMessage): void {
    if (msg.type !== HandshakeType.new_session_ticket) throw fatal(PeerMisbehaved.UnexpectedHandshakeMessage, `expected NewSessionTicket, got ${msg.type}`);
    const t = parseNewSessionTicket12(msg.body);
    this.transcript.add(msg.raw);
    if (this.cfg.sessionCache && t.ticket.length > 0) {
      this.cfg.sessionCache.put(this.cfg.sessionKey, {
        version: 'TLSv1.2', suite: this.suite.code, ticket: t.ticket.slice(), secret: this.master, ageAdd: 0, receivedAt: Date.now(),
        lifetimeS: t.lifetime || 7200, alpn: this.alpn, peerCertificate: this.peerCert, ems: this.ems,
      });
    }
    this.state = 'ChangeCipherSpec';
  }

  private onFinished(msg: HandshakeMessage): void {
    if (msg.type !== HandshakeType.finished) throw fatal(PeerMisbehaved.UnexpectedHandshakeMessage, `expected Finished, got ${msg.type}`);
    const p = this.ctx.provider;
    const expected = verifyData12(p, this.suite, this.master, 'server finished', this.transcript.bytes());
    checkFinished(expected, msg.body, 'server');
    this.transcript.add(msg.raw);
    if (this.resumed) this.sendFinished();
    this.state = 'Traffic';
    this.ctx.complete({
      version: 'TLSv1.2', cipher: this.suite.name, group: this.group, sni: this.cfg.serverName, alpn: this.alpn,
      sessionReused: this.resumed, peerCertificate: this.peerCert,
    });
  }

  /** RFC 5246 7.1, 7.4.9: our ChangeCipherSpec, our write keys on, then our Finished. */
  private sendFinished(): void {
    this.ctx.sendChangeCipherSpec();
    this.ctx.setWriteProtection(this.keys!.client);
    this.send(HandshakeType.finished, verifyData12(this.ctx.provider, this.suite, this.master, 'client finished', this.transcript.bytes()));
  }

  private send(type: number, body: Uint8Array): void {
    const raw = encodeHandshake(type, body);
    this.transcript.add(raw);
    this.ctx.sendHandshake(raw);
  }
}
