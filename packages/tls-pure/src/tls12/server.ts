import type { X509Certificate } from 'node:crypto';
import { InvalidCertError, type CertKey } from '@proxy/core';
import { chainDer } from '../cert-chain.js';
import { AlertDescription, PeerMisbehaved, fatal } from '../alerts.js';
import { Reader, Writer } from '../bytes.js';
import type { ServerConfig } from '../config.js';
import type { EngineContext, Handshaker } from '../context.js';
import { keyKind, type GroupName, type KeyExchange } from '../crypto/provider.js';
import { TLS12_SIGNATURE_SCHEMES, chooseScheme, schemeFitsKey } from '../crypto/schemes.js';
import { encodeCertificate12, parseCertificate12, parseCertificateVerify } from '../messages/certificate.js';
import { Ext, encodeAlpn, encodeU16List, parseAlpn, parseRecordSizeLimit, parseServerName, u16, u16List } from '../messages/extensions.js';
import { HandshakeType, checkFinished, encodeHandshake, type HandshakeMessage } from '../messages/handshake.js';
import { DOWNGRADE_TLS12, encodeServerHello, type ClientHello } from '../messages/hello.js';
import { classicalGroups } from '../key-share.js';
import { GROUP_CODES, serverSuitePreference, type CipherSuite } from '../suites.js';
import { certFromDer, type TicketState } from '../tickets.js';
import { Transcript } from '../transcript.js';
import { verifyCertificateChain } from '../verify/chain.js';
import {
  EMPTY_RENEGOTIATION_INFO, TLS_EMPTY_RENEGOTIATION_INFO_SCSV, checkInitialRenegotiationInfo, encodeEcdhParams, encodeNewSessionTicket12, keyBlock12, type KeyBlock12,
  masterSecret12, verifyData12,
} from './common.js';

type State = 'Paused' | 'Certificate' | 'ClientKeyExchange' | 'CertificateVerify' | 'ChangeCipherSpec' | 'Finished' | 'Traffic';

/**
 * The TLS 1.2 server (RFC 5246, ECDHE per RFC 8422, AEAD per RFC 5289/7905, EMS per RFC 7627,
 * RFC 5746 renegotiation_info, RFC 5077 tickets). Renegotiation is refused.
 */
export class Tls12Server implements Handshaker {
  private state: State = 'Paused';
  private readonly transcript = new Transcript();
  private suite!: CipherSuite;
  private ch!: ClientHello;
  private serverRandom!: Uint8Array;
  private group!: GroupName;
  private kx!: KeyExchange;
  private sni: string | undefined;
  private alpn: string | undefined;
  private ems = false;
  private master!: Uint8Array;
  /** From the master secret on: the client's keys go on at its ChangeCipherSpec, ours at our own. */
  private keys: KeyBlock12 | undefined;
  private clientCert: X509Certificate | undefined;
  private clientCertDer: Uint8Array = new Uint8Array(0);
  private certRequested = false;
  private resumed = false;
  private sendTicket = false;
  private recordSizeLimit: number | undefined;
  /** The session id of our ServerHello on a full handshake. */
  private sessionId: Uint8Array = new Uint8Array(0);
  /** RFC 5746: the client signalled secure renegotiation (SCSV or the extension). */
  private secureRenegotiation = false;

  constructor(private readonly ctx: EngineContext, private readonly cfg: ServerConfig, private readonly peerAddr: string) {}

  acceptClientHello(msg: HandshakeMessage, ch: ClientHello): void {
    this.ctx.setVersion('TLSv1.2');
    this.ch = ch;
    const ext = ch.extensions;
    if (!ch.compressionMethods.includes(0)) throw fatal(PeerMisbehaved.NullCompressionNotOffered);
    // RFC 5746 3.6: the SCSV or an empty renegotiation_info; only then does our ServerHello carry one.
    checkInitialRenegotiationInfo(ext.get(Ext.renegotiation_info));
    this.secureRenegotiation = ext.has(Ext.renegotiation_info) || ch.cipherSuites.includes(TLS_EMPTY_RENEGOTIATION_INFO_SCSV);
    const pf = ext.get(Ext.ec_point_formats);
    if (pf && !new Reader(pf, 'ec_point_formats').vec8(1).includes(0)) throw fatal(PeerMisbehaved.UncompressedPointsNotOffered);
    // RFC 8422 4: without supported_groups the client accepts any curve; secp256r1 is the safe choice.
    const groups = ext.has(Ext.supported_groups) ? u16List(ext.get(Ext.supported_groups)!, 'supported_groups') : [GROUP_CODES.secp256r1];
    // ECDHE only: the hybrid X25519MLKEM768 is a TLS 1.3 group (draft-ietf-tls-ecdhe-mlkem).
    const group = classicalGroups(this.cfg.groups).find((g) => groups.includes(GROUP_CODES[g]));
    if (!group) throw fatal(PeerMisbehaved.NoCommonGroup);
    this.group = group;
    this.sni = ext.has(Ext.server_name) ? parseServerName(ext.get(Ext.server_name)!) : undefined;
    this.ems = ext.has(Ext.extended_master_secret);
    // RFC 7627 5.1: the extension's data is empty.
    if (this.ems && ext.get(Ext.extended_master_secret)!.length !== 0) throw fatal(PeerMisbehaved.ExtendedMasterSecretWithData);
    if (ext.has(Ext.record_size_limit)) {
      // RFC 8449: honour the client's limit on what we send.
      this.recordSizeLimit = parseRecordSizeLimit(ext.get(Ext.record_size_limit)!);
      this.ctx.setMaxFragment(this.recordSizeLimit);
    }
    if (ext.has(Ext.alpn) && this.cfg.alpn) {
      const offered = parseAlpn(ext.get(Ext.alpn)!);
      this.alpn = this.cfg.alpn.select(offered);
      if (!this.alpn) throw fatal(PeerMisbehaved.NoCommonAlpn);
    }
    this.transcript.add(msg.raw);

    // RFC 5077 3.2: a ticket we can open resumes the session (abbreviated handshake).
    const ticket = ext.get(Ext.session_ticket);
    if (ticket && ticket.length > 0 && this.cfg.tickets && ch.sessionId.length > 0) {
      const state = this.cfg.tickets.open(ticket);
      const suite = state && this.cfg.tls12Suites.find((s) => s.code === state.suite && ch.cipherSuites.includes(s.code));
      // RFC 7627 5.3: never resume a non-EMS session with EMS or the other way round.
      if (state && suite && state.version === 0x0303 && state.ems === this.ems && state.sni === (this.sni ?? '')) {
        // The callback runs on resumed handshakes too (docs/tls-options.md); no certificate is sent.
        return this.afterCertificateCallback(() => this.resume(suite, state));
      }
    }
    // RFC 5246 7.4.1.2: a session id we gave out resumes that session (clients without tickets).
    if (this.cfg.sessionIds && ch.sessionId.length > 0) {
      const state = this.cfg.sessionIds.get(ch.sessionId);
      const suite = state && this.cfg.tls12Suites.find((s) => s.code === state.suite && ch.cipherSuites.includes(s.code));
      if (state && suite && state.ems === this.ems && state.sni === (this.sni ?? '')) {
        return this.afterCertificateCallback(() => this.resume(suite, state));
      }
    }
    this.sendTicket = !!this.cfg.tickets && ext.has(Ext.session_ticket);
    const sigAlgs = ext.has(Ext.signature_algorithms) ? u16List(ext.get(Ext.signature_algorithms)!, 'signature_algorithms') : [];
    this.afterCertificateCallback((certKey) => this.fullHandshake(sigAlgs, certKey));
  }

  /** Runs `go` with the certificate callback's choice, pausing for it when there is a callback. */
  private afterCertificateCallback(go: (certKey: CertKey | undefined) => void): void {
    if (this.cfg.certificateCallback) {
      this.ctx.pauseForCertificate({ serverName: this.sni, peerAddr: this.peerAddr }, go);
      return;
    }
    go(undefined);
  }

  private serverHelloExtensions(): Array<[number, Uint8Array]> {
    const exts: Array<[number, Uint8Array]> = [];
    if (this.secureRenegotiation) exts.push([Ext.renegotiation_info, EMPTY_RENEGOTIATION_INFO]);
    if (this.ems) exts.push([Ext.extended_master_secret, new Uint8Array(0)]);
    if (this.ch.extensions.has(Ext.ec_point_formats)) exts.push([Ext.ec_point_formats, Uint8Array.of(1, 0)]);
    if (this.alpn) exts.push([Ext.alpn, encodeAlpn([this.alpn])]);
    if (this.sendTicket) exts.push([Ext.session_ticket, new Uint8Array(0)]);
    if (this.sni !== undefined && !this.resumed) exts.push([Ext.server_name, new Uint8Array(0)]);
    if (this.recordSizeLimit !== undefined) exts.push([Ext.record_size_limit, u16(16384)]);
    return exts;
  }

  private serverHello(sessionId: Uint8Array): void {
    // RFC 8446 4.1.3: a TLS 1.3-capable server puts the downgrade sentinel in a TLS 1.2 random.
    this.serverRandom = this.ctx.provider.random(32);
    if (this.cfg.maxVersion === 'TLSv1.3') this.serverRandom.set(DOWNGRADE_TLS12, 24);
    this.send(HandshakeType.server_hello, encodeServerHello({
      random: this.serverRandom, sessionId, cipherSuite: this.suite.code, extensions: this.serverHelloExtensions(),
    }));
  }

  private fullHandshake(sigAlgs: number[], chosen: CertKey | undefined): void {
    const p = this.ctx.provider;
    const certKey = chosen ?? this.cfg.defaultCert;
    if (!certKey) throw fatal(PeerMisbehaved.NoCertificateForName, this.sni ?? 'no SNI');
    const kind = keyKind(certKey.key);
    const auth = kind === 'rsa' ? 'rsa' : 'ecdsa';
    const preference = serverSuitePreference(this.cfg.tls12Suites, this.ctx.provider.hardwareAes, this.ch.cipherSuites);
    const suite = preference.find((s) => s.auth === auth && this.ch.cipherSuites.includes(s.code));
    if (!suite) throw fatal(PeerMisbehaved.NoCommonCipherSuite, 'TLS 1.2');
    this.suite = suite;
    // RFC 5246 7.4.1.4.1: no signature_algorithms means SHA-1, which we do not do.
    const scheme = chooseScheme(kind, sigAlgs, false);
    if (scheme === undefined) throw fatal(PeerMisbehaved.NoCommonSignatureScheme);

    // A session id names the session for our cache; without a cache, only a client that sent one
    // gets one (RFC 5077 3.4: it tells the client whether its ticket was accepted).
    this.sessionId = this.cfg.sessionIds || this.ch.sessionId.length ? p.random(32) : new Uint8Array(0);
    this.serverHello(this.sessionId);
    this.send(HandshakeType.certificate, encodeCertificate12(chainDer(certKey)));
    this.kx = p.keyExchange(this.group);
    const params = encodeEcdhParams(GROUP_CODES[this.group], this.kx.publicKey);
    const signed = new Writer().bytes(this.ch.random).bytes(this.serverRandom).bytes(params).finish();
    const sig = p.sign(certKey.key, scheme, signed);
    this.send(HandshakeType.server_key_exchange, new Writer().bytes(params).u16(scheme).vec16(sig).finish());
    if (this.cfg.clientAuth) {
      this.certRequested = true;
      // RFC 5246 7.4.4: certificate types rsa_sign(1), ecdsa_sign(64); no CA list.
      this.send(HandshakeType.certificate_request, new Writer().vec8(Uint8Array.of(1, 64)).bytes(encodeU16List(TLS12_SIGNATURE_SCHEMES)).u16(0).finish());
    }
    this.send(HandshakeType.server_hello_done, new Uint8Array(0));
    this.state = this.certRequested ? 'Certificate' : 'ClientKeyExchange';
  }

  private resume(suite: CipherSuite, state: TicketState): void {
    this.suite = suite;
    this.resumed = true;
    this.master = state.secret;
    this.alpn = this.alpn ?? (state.alpn || undefined);
    this.clientCertDer = state.clientCert;
    this.clientCert = certFromDer(state.clientCert);
    this.sendTicket = false;
    this.serverHello(this.ch.sessionId);
    this.deriveKeys();
    this.ctx.keylog('CLIENT_RANDOM', this.ch.random, this.master);
    this.sendFinished();
    this.state = 'ChangeCipherSpec';
  }

  private deriveKeys(): void {
    this.keys = keyBlock12(this.ctx.provider, this.suite, this.master, this.ch.random, this.serverRandom);
  }

  /** RFC 5246 7.1, 7.4.9: our ChangeCipherSpec, our write keys on, then our Finished. */
  private sendFinished(): void {
    this.ctx.sendChangeCipherSpec();
    this.ctx.setWriteProtection(this.keys!.server);
    this.send(HandshakeType.finished, verifyData12(this.ctx.provider, this.suite, this.master, 'server finished', this.transcript.bytes()));
  }

  private send(type: number, body: Uint8Array): void {
    const raw = encodeHandshake(type, body);
    this.transcript.add(raw);
    this.ctx.sendHandshake(raw);
  }

  onChangeCipherSpec(): void {
    if (this.state !== 'ChangeCipherSpec') throw fatal(PeerMisbehaved.UnexpectedChangeCipherSpec, this.state);
    this.ctx.setReadProtection(this.keys!.client);
    this.state = 'Finished';
  }

  onHandshake(msg: HandshakeMessage): void {
    switch (this.state) {
      case 'Certificate':
        return this.onCertificate(msg);
      case 'ClientKeyExchange':
        return this.onClientKeyExchange(msg);
      case 'CertificateVerify':
        return this.onCertificateVerify(msg);
      case 'Finished':
        return this.onFinished(msg);
      case 'Traffic':
        // RFC 5746 4.4 / our policy: renegotiation is refused with a warning, the connection goes on.
        if (msg.type === HandshakeType.client_hello) return this.ctx.sendWarning(AlertDescription.no_renegotiation);
        throw fatal(PeerMisbehaved.UnexpectedHandshakeMessage, `type ${msg.type} after the handshake`);
      default:
        throw fatal(PeerMisbehaved.UnexpectedHandshakeMessage, `type ${msg.type} in ${this.state}`);
    }
  }

  private onCertificate(msg: HandshakeMessage): void {
    if (msg.type !== HandshakeType.certificate) throw fatal(PeerMisbehaved.UnexpectedHandshakeMessage, `expected Certificate, got ${msg.type}`);
    const chain = parseCertificate12(msg.body);
    this.transcript.add(msg.raw);
    if (chain.length === 0) {
      if (this.cfg.clientAuth!.required) throw new InvalidCertError('no-certificate', 'client sent no certificate', { alert: AlertDescription.handshake_failure, source: this.ctx.source });
    } else {
      this.clientCert = verifyCertificateChain(chain, { trust: this.cfg.clientAuth!.trust, purpose: 'client', hostnames: [], source: this.ctx.source })[0];
      this.clientCertDer = chain[0]!;
    }
    this.state = 'ClientKeyExchange';
  }

  private onClientKeyExchange(msg: HandshakeMessage): void {
    if (msg.type !== HandshakeType.client_key_exchange) throw fatal(PeerMisbehaved.UnexpectedHandshakeMessage, `expected ClientKeyExchange, got ${msg.type}`);
    const r = new Reader(msg.body, 'ClientKeyExchange');
    const pub = r.vec8(1);
    r.end();
    let pms: Uint8Array;
    try {
      pms = this.kx.agree(pub);
    } catch {
      throw fatal(PeerMisbehaved.InvalidKeyShare);
    }
    this.transcript.add(msg.raw);
    const p = this.ctx.provider;
    this.master = masterSecret12(p, this.suite, pms, this.ems, this.transcript.hash(p, this.suite.hash), this.ch.random, this.serverRandom);
    this.ctx.keylog('CLIENT_RANDOM', this.ch.random, this.master);
    this.deriveKeys();
    this.state = this.clientCert ? 'CertificateVerify' : 'ChangeCipherSpec';
  }

  private onCertificateVerify(msg: HandshakeMessage): void {
    if (msg.type !== HandshakeType.certificate_verify) throw fatal(PeerMisbehaved.UnexpectedHandshakeMessage, `expected CertificateVerify, got ${msg.type}`);
    const { scheme, signature } = parseCertificateVerify(msg.body);
    const key = this.clientCert!.publicKey;
    if (!TLS12_SIGNATURE_SCHEMES.includes(scheme) || !schemeFitsKey(scheme, keyKind(key), false)) {
      throw fatal(PeerMisbehaved.SignatureSchemeNotOffered, 'client CertificateVerify');
    }
    if (!this.ctx.provider.verify(key, scheme, this.transcript.bytes(), signature)) throw fatal(PeerMisbehaved.BadSignature, 'client CertificateVerify');
    this.transcript.add(msg.raw);
    this.state = 'ChangeCipherSpec';
  }

  private onFinished(msg: HandshakeMessage): void {
    if (msg.type !== HandshakeType.finished) throw fatal(PeerMisbehaved.UnexpectedHandshakeMessage, `expected Finished, got ${msg.type}`);
    const p = this.ctx.provider;
    const expected = verifyData12(p, this.suite, this.master, 'client finished', this.transcript.bytes());
    checkFinished(expected, msg.body, 'client');
    this.transcript.add(msg.raw);
    if (!this.resumed) {
      const session: TicketState = {
        version: 0x0303, suite: this.suite.code, secret: this.master, createdAt: Date.now(), ageAdd: 0,
        alpn: this.alpn ?? '', sni: this.sni ?? '', ems: this.ems, clientCert: this.clientCertDer,
      };
      if (this.cfg.sessionIds && this.sessionId.length > 0) this.cfg.sessionIds.put(this.sessionId, session);
      if (this.sendTicket) {
        const ticket = this.cfg.tickets!.seal(session);
        const raw = encodeNewSessionTicket12(this.cfg.tickets!.lifetimeS, ticket);
        this.transcript.add(raw);
        this.ctx.sendHandshake(raw);
      }
      this.sendFinished();
    }
    this.state = 'Traffic';
    this.ctx.complete({
      version: 'TLSv1.2', cipher: this.suite.name, group: this.resumed ? undefined : this.group, sni: this.sni, alpn: this.alpn,
      sessionReused: this.resumed, peerCertificate: this.clientCert,
    });
  }
}
