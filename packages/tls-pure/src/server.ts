import { PeerMisbehaved, fatal } from './alerts.js';
import type { ServerConfig } from './config.js';
import type { EngineContext, Handshaker } from './context.js';
import { Ext, parseClientVersions } from './messages/extensions.js';
import { HandshakeType, type HandshakeMessage } from './messages/handshake.js';
import { parseClientHello } from './messages/hello.js';
import { Tls12Server } from './tls12/server.js';
import { Tls13Server } from './tls13/server.js';

/**
 * The server before the first ClientHello: picks the version (RFC 8446 4.2.1 supported_versions,
 * else RFC 5246 legacy_version) and hands over to the server of that version.
 */
export class ServerHelloDispatcher implements Handshaker {
  constructor(private readonly ctx: EngineContext, private readonly cfg: ServerConfig, private readonly peerAddr: string) {}

  onChangeCipherSpec(): void {
    throw fatal(PeerMisbehaved.UnexpectedChangeCipherSpec, 'before ClientHello');
  }

  onHandshake(msg: HandshakeMessage): void {
    if (msg.type !== HandshakeType.client_hello) throw fatal(PeerMisbehaved.UnexpectedHandshakeMessage, `expected ClientHello, got ${msg.type}`);
    const ch = parseClientHello(msg.body);
    const sv = ch.extensions.get(Ext.supported_versions);
    const want13 = this.cfg.maxVersion === 'TLSv1.3';
    const want12 = this.cfg.minVersion === 'TLSv1.2';
    let version: 0x0304 | 0x0303 | undefined;
    if (sv) {
      // RFC 8446 4.1.2 / D.2: a ClientHello that negotiates with supported_versions still says
      // TLS 1.2 (0x0303) in legacy_version; anything lower is a broken or hostile client.
      if (ch.legacyVersion < 0x0303) throw fatal(PeerMisbehaved.LegacyVersionBelowTls12);
      const offered = parseClientVersions(sv);
      if (want13 && offered.includes(0x0304)) version = 0x0304;
      else if (want12 && offered.includes(0x0303)) version = 0x0303;
    } else if (want12 && ch.legacyVersion >= 0x0303) {
      version = 0x0303;
    }
    if (version === undefined) throw fatal(PeerMisbehaved.NoCommonVersion);
    // RFC 7507: a fallback retry below our best version is an attack.
    if (version === 0x0303 && want13 && ch.cipherSuites.includes(0x5600)) throw fatal(PeerMisbehaved.InappropriateFallback);
    const next = version === 0x0304 ? new Tls13Server(this.ctx, this.cfg, this.peerAddr) : new Tls12Server(this.ctx, this.cfg, this.peerAddr);
    this.ctx.replaceHandshaker(next);
    next.acceptClientHello(msg, ch);
  }
}
