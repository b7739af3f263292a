import { PeerMisbehaved, fatal } from './alerts.js';
import { Reader, constantTimeEqual } from './bytes.js';
import { ClientHelloBuilder } from './client-hello.js';
import type { ClientConfig } from './config.js';
import type { EngineContext, Handshaker } from './context.js';
import { Ext } from './messages/extensions.js';
import { HandshakeType, type HandshakeMessage } from './messages/handshake.js';
import { DOWNGRADE_TLS11, DOWNGRADE_TLS12, parseServerHello } from './messages/hello.js';
import { Transcript } from './transcript.js';
import { Tls12Client } from './tls12/client.js';
import { Tls13Client } from './tls13/client.js';

/**
 * The client before the first ServerHello, as ServerHelloDispatcher is the server before the
 * first ClientHello: sends the version-neutral ClientHello, reads the version the server chose
 * (RFC 8446 4.2.1 supported_versions, else RFC 5246 legacy_version) and hands over to the
 * client of that version.
 */
export class ClientHelloDispatcher implements Handshaker {
  private hello: ClientHelloBuilder | undefined;

  constructor(private readonly ctx: EngineContext, private readonly cfg: ClientConfig) {}

  start(): void {
    this.hello = new ClientHelloBuilder(this.ctx, this.cfg);
    this.ctx.sendHandshake(this.hello.build(new Transcript()));
  }

  onChangeCipherSpec(): void {
    // RFC 8446 5: a CCS may arrive any time after our first ClientHello; nothing to do.
  }

  onHandshake(msg: HandshakeMessage): void {
    if (msg.type !== HandshakeType.server_hello) throw fatal(PeerMisbehaved.UnexpectedHandshakeMessage, `expected ServerHello, got ${msg.type}`);
    const hello = this.hello!;
    const sh = parseServerHello(msg.body);
    const sv = sh.extensions.get(Ext.supported_versions);
    let version = sh.legacyVersion;
    if (sv) {
      const r = new Reader(sv, 'supported_versions');
      version = r.u16();
      r.end();
    }
    if (version === 0x0303 && !sv) {
      if (!hello.offers12) throw fatal(PeerMisbehaved.VersionNotOffered, 'TLS 1.2');
      // RFC 8446 4.1.3: a TLS 1.3 client must detect a downgrade sentinel.
      const tail = sh.random.subarray(24);
      if (hello.offers13 && (constantTimeEqual(tail, DOWNGRADE_TLS12) || constantTimeEqual(tail, DOWNGRADE_TLS11))) {
        throw fatal(PeerMisbehaved.DowngradeSentinel);
      }
      const next = new Tls12Client(this.ctx, this.cfg, hello.offer());
      this.ctx.replaceHandshaker(next);
      next.onServerHello(msg, sh);
      return;
    }
    const next = new Tls13Client(this.ctx, this.cfg, hello);
    this.ctx.replaceHandshaker(next);
    next.onServerHello(msg, sh);
  }
}
