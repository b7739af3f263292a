import type { X509Certificate } from 'node:crypto';
import { InvalidCertError, type CertKey } from '@proxy/core';
import { chainDer } from '../cert-chain.js';
import { AlertDescription, PeerMisbehaved, fatal } from '../alerts.js';
import { Reader, Writer, constantTimeEqual } from '../bytes.js';
import type { EngineContext, Handshaker } from '../context.js';
import type { ServerConfig } from '../config.js';
import { keyKind } from '../crypto/provider.js';
import { answerKeyShare, isHybridGroup } from '../key-share.js';
import { TLS13_SIGNATURE_SCHEMES, chooseScheme } from '../crypto/schemes.js';
import { KeySchedule13 } from '../key-schedule.js';
import {
  certificateVerifyContent, encodeCertificate13, encodeCertificateRequest13, encodeCertificateVerify,
  parseCertificate13, parseKeyUpdate,
} from '../messages/certificate.js';
import {
  Ext, encodeAlpn, encodeU16List, parseAlpn, parseClientKeyShares, parseClientVersions, parseRecordSizeLimit, parseServerName, u16, u16List, writeExtensions,
} from '../messages/extensions.js';
import { HandshakeType, checkFinished, encodeHandshake, type HandshakeMessage } from '../messages/handshake.js';
import { HRR_RANDOM, encodeServerHello, parseClientHello, type ClientHello } from '../messages/hello.js';
import { GROUP_CODES, serverSuitePreference, type CipherSuite, type NamedGroup } from '../suites.js';
import { certFromDer, type TicketState } from '../tickets.js';
import { Transcript } from '../transcript.js';
import { verifyCertificateChain } from '../verify/chain.js';
import {
  applicationTrafficSecrets, encodeNewSessionTicket, handshakeTrafficSecrets, keyUpdateMessage, parseOfferedPsks, protectionFor, pskBinder,
  verifyPeerCertificateVerify,
} from './common.js';

type State = 'ClientHello' | 'RetriedClientHello' | 'Certificate' | 'CertificateVerify' | 'Finished' | 'Traffic' | 'Paused';

/**
 * The TLS 1.3 server (RFC 8446): ClientHello -> [HelloRetryRequest -> ClientHello] ->
 * ServerHello, EncryptedExtensions, [CertificateRequest], Certificate, CertificateVerify,
 * Finished -> [client Certificate, CertificateVerify] -> client Finished. PSK-DHE resumption
 * with our own tickets; early data is declined (the early_data extension is never echoed).
 */
export class Tls13Server implements Handshaker {
  private state: State = 'ClientHello';
  private readonly transcript = new Transcript();
  private suite!: CipherSuite;
  private ks!: KeySchedule13;
  private group: NamedGroup | undefined;
  private sni: string | undefined;
  private alpn: string | undefined;
  private clientRandom!: Uint8Array;
  private sessionId!: Uint8Array;
  private ccsSent = false;
  private retried = false;
  private clientHsSecret!: Uint8Array;
  private clientAppSecret!: Uint8Array;
  private serverAppSecret!: Uint8Array;
  private clientCert: X509Certificate | undefined;
  private clientCertDer: Uint8Array = new Uint8Array(0);
  private certRequested = false;
  private resumed: TicketState | undefined;
  private recordSizeLimit: number | undefined;
  private ticketsSent = 0;
  private offeredEarlyData = false;
  /** RFC 8446 4.2.9: tickets only for clients that can use them (psk_dhe_ke offered). */
  private clientTakesTickets = false;

  constructor(private readonly ctx: EngineContext, private readonly cfg: ServerConfig, private readonly peerAddr: string) {}

  /** The first ClientHello, already parsed by the version dispatcher. */
  acceptClientHello(msg: HandshakeMessage, ch: ClientHello): void {
    this.ctx.setVersion('TLSv1.3');
    this.clientRandom = ch.random;
    this.sessionId = ch.sessionId;
    this.processClientHello(msg, ch);
  }

  onChangeCipherSpec(): void {
    // RFC 8446 5: a CCS is dropped between the first ClientHello and the client Finished.
    if (this.state === 'Traffic') throw fatal(PeerMisbehaved.UnexpectedChangeCipherSpec, 'after the handshake');
  }

  onHandshake(msg: HandshakeMessage): void {
    switch (this.state) {
      case 'RetriedClientHello':
        return this.onRetriedClientHello(msg);
      case 'Certificate':
        return this.onCertificate(msg);
      case 'CertificateVerify':
        return this.onCertificateVerify(msg);
      case 'Finished':
        return this.onFinished(msg);
      case 'Traffic':
        return this.onPostHandshake(msg);
      default:
        throw fatal(PeerMisbehaved.UnexpectedHandshakeMessage, `type ${msg.type} in ${this.state}`);
    }
  }

  keyUpdate(requestPeer: boolean): void {
    this.ctx.sendHandshake(keyUpdateMessage(requestPeer));
    this.serverAppSecret = this.ks.nextTrafficSecret(this.serverAppSecret);
    this.ctx.setWriteProtection(protectionFor(this.ctx.provider, this.suite, this.serverAppSecret));
  }

  // ---- ClientHello ----

  private processClientHello(msg: HandshakeMessage, ch: ClientHello): void {
    const ext = ch.extensions;
    // RFC 8446 4.1.2: TLS 1.3 ClientHellos carry exactly the null compression method.
    if (ch.compressionMethods.length !== 1 || ch.compressionMethods[0] !== 0) {
      throw fatal(PeerMisbehaved.CompressionInTls13);
    }
    const preference = serverSuitePreference(this.cfg.tls13Suites, this.ctx.provider.hardwareAes, ch.cipherSuites);
    const suite = preference.find((s) => ch.cipherSuites.includes(s.code));
    if (!suite) throw fatal(PeerMisbehaved.NoCommonCipherSuite, 'TLS 1.3');
    if (this.retried && suite !== this.suite) throw fatal(PeerMisbehaved.CipherSuiteChangedAfterRetry);
    this.suite = suite;

    // RFC 8446 9.2: mandatory extensions.
    const hasPsk = ext.has(Ext.pre_shared_key);
    if (hasPsk && !ext.has(Ext.psk_key_exchange_modes)) throw fatal(PeerMisbehaved.PskWithoutKeyExchangeModes);
    if (!ext.has(Ext.supported_groups) || !ext.has(Ext.key_share)) {
      throw fatal(PeerMisbehaved.MissingKeyShareOrGroups);
    }
    if (!ext.has(Ext.signature_algorithms) && !hasPsk) throw fatal(PeerMisbehaved.MissingSignatureAlgorithms, 'ClientHello');
    const groups = u16List(ext.get(Ext.supported_groups)!, 'supported_groups');
    const shares = parseClientKeyShares(ext.get(Ext.key_share)!);
    // RFC 8446 4.2.8: every share must be for a group in supported_groups.
    for (const s of shares) if (!groups.includes(s.group)) throw fatal(PeerMisbehaved.KeyShareGroupNotInSupportedGroups);
    const sigAlgs = ext.has(Ext.signature_algorithms) ? u16List(ext.get(Ext.signature_algorithms)!, 'signature_algorithms') : [];
    const sni = ext.has(Ext.server_name) ? parseServerName(ext.get(Ext.server_name)!) : undefined;
    if (this.retried && sni !== this.sni) throw fatal(PeerMisbehaved.ServerNameChangedAfterRetry);
    this.sni = sni;
    if (ext.has(Ext.record_size_limit)) this.recordSizeLimit = parseRecordSizeLimit(ext.get(Ext.record_size_limit)!);

    // RFC 7301 3.2: no protocol in common is a fatal no_application_protocol.
    this.alpn = undefined;
    if (ext.has(Ext.alpn) && this.cfg.alpn) {
      const offered = parseAlpn(ext.get(Ext.alpn)!);
      this.alpn = this.cfg.alpn.select(offered);
      if (!this.alpn) throw fatal(PeerMisbehaved.NoCommonAlpn, `offered ${offered.join(',')}`);
    }

    if (this.retried) {
      if (shares.length !== 1 || shares[0]!.group !== GROUP_CODES[this.group!]) {
        throw fatal(PeerMisbehaved.RetriedHelloWithoutRequestedKeyShare);
      }
    }
    const choice = chooseGroup(this.cfg.groups, groups, shares);
    if (!choice) throw fatal(PeerMisbehaved.NoCommonGroup);
    if (!choice.share) {
      if (ext.has(Ext.early_data)) this.ctx.skipEarlyData('plaintext-appdata');
      return this.sendHelloRetryRequest(msg, choice.group);
    }
    const peerShare = choice.share;
    this.offeredEarlyData = ext.has(Ext.early_data);
    const modes = ext.get(Ext.psk_key_exchange_modes);
    // psk_dhe_ke (1): the only mode we resume with, and the one our tickets need.
    this.clientTakesTickets = !!modes && new Reader(modes, 'psk_key_exchange_modes').vec8(1).includes(1);
    this.group = choice.group;

    // PSK resumption (RFC 8446 4.2.11): only PSK with (EC)DHE, only our own tickets.
    let psk: { index: number; state: TicketState } | undefined;
    if (hasPsk && this.cfg.tickets && this.clientTakesTickets) psk = this.checkPsk(msg, ext.get(Ext.pre_shared_key)!);
    this.transcript.add(msg.raw);

    // A resumed handshake sends no certificate, but the callback still runs (docs/tls-options.md:
    // every handshake; a hot-reload or audit hook sees resumptions too); its choice is unused then.
    const resume = (certKey: CertKey | undefined) => this.continueHandshake(peerShare, sigAlgs, psk ? undefined : certKey, psk);
    if (this.cfg.certificateCallback) {
      this.state = 'Paused';
      this.ctx.pauseForCertificate({ serverName: sni, peerAddr: this.peerAddr }, resume);
      return;
    }
    resume(undefined);
  }

  private checkPsk(msg: HandshakeMessage, data: Uint8Array): { index: number; state: TicketState } | undefined {
    const offered = parseOfferedPsks(data);
    const p = this.ctx.provider;
    for (let i = 0; i < offered.identities.length; i++) {
      const state = this.cfg.tickets!.open(offered.identities[i]!.identity);
      if (!state || state.version !== 0x0304) continue;
      const ticketSuite = this.cfg.tls13Suites.find((s) => s.code === state.suite);
      // RFC 8446 4.2.11: the PSK's hash must match the chosen suite's; SNI must match the original.
      if (!ticketSuite || ticketSuite.hash !== this.suite.hash || state.sni !== (this.sni ?? '')) continue;
      const truncated = msg.raw.subarray(0, msg.raw.length - offered.bindersLen);
      const expected = pskBinder(p, this.suite.hash, state.secret, this.transcript, truncated);
      if (!constantTimeEqual(expected, offered.binders[i]!)) throw fatal(PeerMisbehaved.BadPskBinder);
      return { index: i, state };
    }
    return undefined;
  }

  private sendHelloRetryRequest(msg: HandshakeMessage, group: NamedGroup): void {
    if (this.retried) throw fatal(PeerMisbehaved.RetriedHelloWithoutRequestedKeyShare);
    this.retried = true;
    this.group = group;
    this.transcript.add(msg.raw);
    this.transcript.replaceWithMessageHash(this.ctx.provider, this.suite.hash);
    const hrr = encodeHandshake(HandshakeType.server_hello, encodeServerHello({
      random: HRR_RANDOM,
      sessionId: this.sessionId,
      cipherSuite: this.suite.code,
      extensions: [[Ext.supported_versions, u16(0x0304)], [Ext.key_share, u16(GROUP_CODES[group])]],
    }));
    this.transcript.add(hrr);
    this.ctx.sendHandshake(hrr);
    this.sendCompatCcs();
    this.state = 'RetriedClientHello';
  }

  private onRetriedClientHello(msg: HandshakeMessage): void {
    if (msg.type !== HandshakeType.client_hello) throw fatal(PeerMisbehaved.UnexpectedHandshakeMessage, `expected ClientHello, got ${msg.type}`);
    const ch = parseClientHello(msg.body);
    if (!constantTimeEqual(ch.sessionId, this.sessionId) || !constantTimeEqual(ch.random, this.clientRandom)) {
      throw fatal(PeerMisbehaved.RetriedHelloChanged);
    }
    const versions = ch.extensions.get(Ext.supported_versions);
    if (!versions || !parseClientVersions(versions).includes(0x0304)) {
      throw fatal(PeerMisbehaved.RetriedHelloWithoutTls13);
    }
    if (ch.extensions.has(Ext.early_data)) throw fatal(PeerMisbehaved.EarlyDataAfterRetry);
    this.ctx.skipEarlyData(undefined);
    this.processClientHello(msg, ch);
  }

  /** RFC 8446 D.4: middlebox compatibility mode, a CCS right after our first handshake message. */
  private sendCompatCcs(): void {
    if (this.ccsSent || this.sessionId.length === 0) return;
    this.ccsSent = true;
    this.ctx.sendChangeCipherSpec();
  }

  // ---- our flight ----

  private continueHandshake(
    peerShare: Uint8Array, sigAlgs: number[], chosen: CertKey | undefined, psk: { index: number; state: TicketState } | undefined,
  ): void {
    const p = this.ctx.provider;
    const certKey = chosen ?? this.cfg.defaultCert;
    let scheme: number | undefined;
    if (!psk) {
      if (!certKey) throw fatal(PeerMisbehaved.NoCertificateForName, this.sni ?? 'no SNI');
      scheme = chooseScheme(keyKind(certKey.key), sigAlgs, true);
      if (scheme === undefined) throw fatal(PeerMisbehaved.NoCommonSignatureScheme);
    }
    // RFC 8446 4.2.8.2 checks; for X25519MLKEM768 also draft-ietf-tls-ecdhe-mlkem 3's (size, FIPS 203 modulus check).
    const { publicKey: ourShare, sharedSecret: shared } = answerKeyShare(p, this.group!, peerShare);
    this.resumed = psk?.state;
    this.ks = new KeySchedule13(p, this.suite.hash, psk?.state.secret);

    const shExts: Array<[number, Uint8Array]> = [
      [Ext.supported_versions, u16(0x0304)],
      [Ext.key_share, new Writer().u16(GROUP_CODES[this.group!]).vec16(ourShare).finish()],
    ];
    if (psk) shExts.push([Ext.pre_shared_key, u16(psk.index)]);
    const sh = encodeHandshake(HandshakeType.server_hello, encodeServerHello({
      random: p.random(32), sessionId: this.sessionId, cipherSuite: this.suite.code, extensions: shExts,
    }));
    this.transcript.add(sh);
    this.ctx.sendHandshake(sh);
    this.sendCompatCcs();

    // RFC 8446 7.1: handshake secrets over ClientHello..ServerHello.
    this.ks.inputHandshakeSecret(shared);
    const hs = handshakeTrafficSecrets(this.ctx, this.ks, this.transcript, this.clientRandom);
    this.clientHsSecret = hs.client;
    this.ctx.setWriteProtection(protectionFor(p, this.suite, hs.server));

    const ee: Array<[number, Uint8Array]> = [];
    if (this.sni !== undefined && !psk) ee.push([Ext.server_name, new Uint8Array(0)]);
    if (this.alpn) ee.push([Ext.alpn, encodeAlpn([this.alpn])]);
    if (this.recordSizeLimit !== undefined) {
      ee.push([Ext.record_size_limit, u16(16385)]);
      this.ctx.setMaxFragment(this.recordSizeLimit - 1);
    }
    const eeBody = new Writer();
    writeExtensions(eeBody, ee);
    this.send(HandshakeType.encrypted_extensions, eeBody.finish());

    if (!psk) {
      if (this.cfg.clientAuth) {
        this.certRequested = true;
        this.send(HandshakeType.certificate_request, encodeCertificateRequest13(new Uint8Array(0), [
          [Ext.signature_algorithms, encodeU16List(TLS13_SIGNATURE_SCHEMES)],
        ]));
      }
      this.send(HandshakeType.certificate, encodeCertificate13(new Uint8Array(0), chainDer(certKey!)));
      const content = certificateVerifyContent('server', this.transcript.hash(p, this.suite.hash));
      this.send(HandshakeType.certificate_verify, encodeCertificateVerify(scheme!, p.sign(certKey!.key, scheme!, content)));
    } else {
      this.clientCertDer = psk.state.clientCert;
      this.clientCert = certFromDer(psk.state.clientCert);
    }
    this.send(HandshakeType.finished, this.ks.finishedMac(hs.server, this.transcript.hash(p, this.suite.hash)));

    // RFC 8446 7.1: application secrets over ClientHello..server Finished.
    this.ks.inputMasterSecret();
    ({ client: this.clientAppSecret, server: this.serverAppSecret } = applicationTrafficSecrets(this.ctx, this.ks, this.transcript, this.clientRandom));
    this.ctx.setWriteProtection(protectionFor(p, this.suite, this.serverAppSecret));
    this.ctx.setReadProtection(protectionFor(p, this.suite, this.clientHsSecret));
    // Early data is always declined (never echoed); the client's 0-RTT records are skipped.
    if (this.offeredEarlyData) this.ctx.skipEarlyData('trial-decrypt');
    this.state = this.certRequested ? 'Certificate' : 'Finished';
  }

  private send(type: number, body: Uint8Array): void {
    const raw = encodeHandshake(type, body);
    this.transcript.add(raw);
    this.ctx.sendHandshake(raw);
  }

  // ---- client authentication ----

  private onCertificate(msg: HandshakeMessage): void {
    if (msg.type !== HandshakeType.certificate) throw fatal(PeerMisbehaved.UnexpectedHandshakeMessage, `expected Certificate, got ${msg.type}`);
    const { context, chain } = parseCertificate13(msg.body);
    if (context.length !== 0) throw fatal(PeerMisbehaved.CertificateRequestContextMismatch);
    this.transcript.add(msg.raw);
    if (chain.length === 0) {
      // RFC 8446 4.4.2.4: an empty Certificate when one is required is certificate_required.
      if (this.cfg.clientAuth!.required) throw new InvalidCertError('no-certificate', 'client sent no certificate', { alert: AlertDescription.certificate_required, source: this.ctx.source });
      this.state = 'Finished';
      return;
    }
    const path = verifyCertificateChain(chain, { trust: this.cfg.clientAuth!.trust, purpose: 'client', hostnames: [], source: this.ctx.source });
    this.clientCert = path[0];
    this.clientCertDer = chain[0]!;
    this.state = 'CertificateVerify';
  }

  private onCertificateVerify(msg: HandshakeMessage): void {
    if (msg.type !== HandshakeType.certificate_verify) throw fatal(PeerMisbehaved.UnexpectedHandshakeMessage, `expected CertificateVerify, got ${msg.type}`);
    verifyPeerCertificateVerify(this.ctx.provider, this.suite.hash, this.transcript, this.clientCert!, 'client', msg.body);
    this.transcript.add(msg.raw);
    this.state = 'Finished';
  }

  private onFinished(msg: HandshakeMessage): void {
    if (msg.type !== HandshakeType.finished) throw fatal(PeerMisbehaved.UnexpectedHandshakeMessage, `expected Finished, got ${msg.type}`);
    const p = this.ctx.provider;
    const expected = this.ks.finishedMac(this.clientHsSecret, this.transcript.hash(p, this.suite.hash));
    checkFinished(expected, msg.body, 'client');
    this.transcript.add(msg.raw);
    this.ctx.setReadProtection(protectionFor(p, this.suite, this.clientAppSecret));
    this.state = 'Traffic';
    this.ctx.complete({
      version: 'TLSv1.3', cipher: this.suite.name, group: this.group, sni: this.sni, alpn: this.alpn,
      sessionReused: this.resumed !== undefined, peerCertificate: this.clientCert,
    });
    this.issueTicket();
  }

  /** RFC 8446 4.6.1: one ticket after the handshake (self-encrypted, single resumption secret per nonce). */
  private issueTicket(): void {
    if (!this.cfg.tickets || !this.clientTakesTickets || this.ticketsSent > 0) return;
    const p = this.ctx.provider;
    const resMaster = this.ks.derive('res master', this.transcript.hash(p, this.suite.hash));
    const nonce = Uint8Array.of(this.ticketsSent++);
    const ageAdd = new DataView(p.random(4).buffer).getUint32(0);
    const ticket = this.cfg.tickets.seal({
      version: 0x0304, suite: this.suite.code, secret: this.ks.resumptionPsk(resMaster, nonce), createdAt: Date.now(), ageAdd,
      alpn: this.alpn ?? '', sni: this.sni ?? '', ems: true, clientCert: this.clientCertDer,
    });
    this.ctx.sendHandshake(encodeNewSessionTicket({ lifetime: this.cfg.tickets.lifetimeS, ageAdd, nonce, ticket, maxEarlyData: 0 }));
  }

  private onPostHandshake(msg: HandshakeMessage): void {
    if (msg.type !== HandshakeType.key_update) throw fatal(PeerMisbehaved.UnexpectedHandshakeMessage, `type ${msg.type} after the handshake`);
    const requested = parseKeyUpdate(msg.body);
    this.clientAppSecret = this.ks.nextTrafficSecret(this.clientAppSecret);
    this.ctx.setReadProtection(protectionFor(this.ctx.provider, this.suite, this.clientAppSecret));
    if (requested) this.keyUpdate(false);
  }
}

/**
 * The server's group for one ClientHello (RFC 8446 4.2.8); `share` undefined means a
 * HelloRetryRequest for `group`, undefined means no group in common.
 *
 * Walking our groups in preference order among those the client supports: a group the client
 * sent a share for is taken at once, and a classical group without a share is passed over for a
 * later one that has a share (no round trip lost); but a hybrid post-quantum group the client
 * supports is asked for, at the cost of a HelloRetryRequest, before any group we list after it.
 * That is OpenSSL 3.5's default (X25519MLKEM768 in a tuple of its own, ahead of the classical
 * ones): a client that lists the hybrid but sent only an X25519 share is asked for the hybrid.
 * With no usable share at all, the retry asks for our most preferred common group.
 */
export function chooseGroup(
  ours: readonly NamedGroup[], clientGroups: readonly number[], clientShares: ReadonlyArray<{ group: number; key: Uint8Array }>,
): { group: NamedGroup; share: Uint8Array | undefined } | undefined {
  const usable = ours.filter((g) => clientGroups.includes(GROUP_CODES[g]));
  const shareFor = (g: NamedGroup) => clientShares.find((s) => s.group === GROUP_CODES[g])?.key;
  if (usable.length === 0) return undefined;
  if (!usable.some(shareFor)) return { group: usable[0]!, share: undefined };
  for (const group of usable) {
    const share = shareFor(group);
    if (share || isHybridGroup(group)) return { group, share };
  }
  return undefined; // unreachable: some usable group has a share
}
