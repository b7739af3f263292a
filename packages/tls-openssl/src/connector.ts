import { connect as tlsConnect, checkServerIdentity, type PeerCertificate, type ConnectionOptions } from 'node:tls';
import type { Socket } from 'node:net';
import {
  INTERMEDIATE_TLS12_SUITES, InvalidCertError, defaultGroups, TLS13_SUITES, TlsHandshakeTimeoutError, keylogWriter, systemTrustStorePem,
  type ConnectTarget, type KeylogCallback, type TlsClientOptions, type TlsConnector, type TlsStream,
} from '@proxy/core';
import { digestOf } from './digest.js';
import { mapTlsError } from './errors.js';
import { opensslCipherList, opensslGroupList } from './names.js';
import { HYBRID_GROUP_SUPPORTED } from './hybrid-groups.js';

/** The client's cipher list is the same for every connector: built once. */
const CLIENT_CIPHERS = opensslCipherList(INTERMEDIATE_TLS12_SUITES, TLS13_SUITES);

/** Sessions kept per connector: one per address and SNI, the least recently stored dropped first. */
const MAX_SESSIONS = 256;

/** A compiled upstream TLS configuration on Node's tls. */
export class OpensslConnector implements TlsConnector {
  private readonly base: ConnectionOptions;
  private readonly keylog: KeylogCallback | undefined;
  /**
   * The last session (TLS 1.3 ticket or TLS 1.2 session) each upstream gave, by address and SNI.
   * Core compiles one connector per set of verification options, so a session is only offered
   * back under the options it was verified with.
   */
  private readonly sessions: Map<string, { data: Buffer; tls13: boolean }> | undefined;

  constructor(private readonly options: TlsClientOptions) {
    this.base = {
      minVersion: options.minVersion,
      maxVersion: options.maxVersion,
      ciphers: CLIENT_CIPHERS,
      ecdhCurve: opensslGroupList(options.groups ?? defaultGroups(HYBRID_GROUP_SUPPORTED)),
      ca: options.caPem ?? systemTrustStorePem(),
      rejectUnauthorized: options.verifyCert,
      ...(options.alpn ? { ALPNProtocols: options.alpn.protocols } : {}),
      ...(options.clientCertKey ? { cert: options.clientCertKey.chainPem, key: options.clientCertKey.keyPem } : {}),
    };
    this.keylog = keylogWriter(options.keylog);
    this.sessions = options.sessionResumption ? new Map() : undefined;
  }

  private takeSession(key: string): Buffer | undefined {
    const session = this.sessions?.get(key);
    // A TLS 1.3 ticket is for one use (RFC 8446 C.4); a fresh one arrives on the new connection.
    // A TLS 1.2 session stays: OpenSSL reports no new session when one is resumed.
    if (session?.tls13) this.sessions!.delete(key);
    return session?.data;
  }

  private storeSession(key: string, data: Buffer, tls13: boolean): void {
    const { sessions } = this;
    if (!sessions) return;
    sessions.delete(key);
    sessions.set(key, { data, tls13 });
    if (sessions.size > MAX_SESSIONS) sessions.delete(sessions.keys().next().value!);
  }

  connect(socket: Socket, target: ConnectTarget): Promise<TlsStream> {
    const { options } = this;
    return new Promise<TlsStream>((resolve, reject) => {
      let done = false;
      const sessionKey = `${target.addr}|${target.sni}`;
      const session = this.takeSession(sessionKey);
      const s = tlsConnect({
        ...this.base,
        socket,
        servername: target.sni,
        ...(session ? { session } : {}),
        checkServerIdentity: (_host: string, cert: PeerCertificate) => this.checkIdentity(target, cert),
      });
      const fail = (err: Error) => {
        if (done) return;
        done = true;
        if (timer) clearTimeout(timer);
        s.destroy();
        socket.destroy();
        reject(err);
      };
      const timer = options.handshakeTimeoutMs
        ? setTimeout(() => fail(new TlsHandshakeTimeoutError(options.handshakeTimeoutMs!, 'upstream')), options.handshakeTimeoutMs)
        : undefined;
      // TLS 1.3 tickets arrive after the handshake, TLS 1.2 sessions with it: keep the latest.
      if (this.sessions) s.on('session', (data: Buffer) => this.storeSession(sessionKey, data, s.getProtocol() === 'TLSv1.3'));
      if (this.keylog) {
        const write = this.keylog;
        s.on('keylog', (line: Buffer) => write(line.toString('latin1').trimEnd()));
      }
      const onError = (err: Error) => fail(mapTlsError(err, 'upstream'));
      const onClose = () => fail(mapTlsError(Object.assign(new Error('upstream closed the connection during the TLS handshake'), { code: 'ECONNRESET' }), 'upstream'));
      s.once('error', onError);
      s.once('close', onClose);
      s.once('secureConnect', () => {
        if (done) return;
        done = true;
        if (timer) clearTimeout(timer);
        s.off('error', onError);
        s.off('close', onClose);
        Object.defineProperty(s, 'digest', { value: digestOf(s, target.sni, undefined), enumerable: true });
        resolve(s as unknown as TlsStream);
      });
    });
  }

  /**
   * Hostname verification as Pingora does it: only when the chain is verified; the SNI (or,
   * without SNI, the address's host) must match, or the alternative CN.
   */
  private checkIdentity(target: ConnectTarget, cert: PeerCertificate): Error | undefined {
    const { options } = this;
    if (!options.verifyCert || !options.verifyHostname) return undefined;
    const name = target.sni || hostOf(target.addr);
    const primary = checkServerIdentity(name, cert);
    if (!primary) return undefined;
    if (options.alternativeCn && !checkServerIdentity(options.alternativeCn, cert)) return undefined;
    return new InvalidCertError('hostname-mismatch', primary.message, { source: 'upstream' });
  }
}

function hostOf(addr: string): string {
  const m = /^\[(.*)\]:\d+$/.exec(addr) ?? /^(.*):\d+$/.exec(addr);
  return m ? m[1]! : addr;
}
