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

/** A compiled upstream TLS configuration on Node's tls. */
export class OpensslConnector implements TlsConnector {
  private readonly base: ConnectionOptions;
  private readonly keylog: KeylogCallback | undefined;

  constructor(private readonly options: TlsClientOptions) {
    this.base = {
      minVersion: options.minVersion,
      maxVersion: options.maxVersion,
      ciphers: CLIENT_CIPHERS,
      ecdhCurve: opensslGroupList(options.groups ?? defaultGroups(HYBRID_GROUP_SUPPORTED)),
      ca: options.caPem ?? systemTrustStorePem(),
      rejectUnauthorized: options.verifyCert,
      ...(options.alpn ? { ALPNProtocols: options.alpn.protocols as string[] } : {}),
      ...(options.clientCertKey ? { cert: options.clientCertKey.chainPem, key: options.clientCertKey.keyPem } : {}),
    };
    this.keylog = keylogWriter(options.keylog);
  }

  connect(socket: Socket, target: ConnectTarget): Promise<TlsStream> {
    const { options } = this;
    return new Promise<TlsStream>((resolve, reject) => {
      let done = false;
      const s = tlsConnect({
        ...this.base,
        socket,
        servername: target.sni,
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
