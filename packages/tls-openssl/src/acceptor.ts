import type { EventEmitter } from 'node:events';
import { TLSSocket, type Server as TlsServer } from 'node:tls';
import type { Socket } from 'node:net';
import {
  TlsHandshakeError, TlsHandshakeTimeoutError, InvalidCertError, keylogWriter,
  type ClientHello, type ConnectionInfo, type KeylogCallback, type TlsAcceptor, type TlsSettings, type TlsStream, type CertKey,
} from '@proxy/core';
import { peekClientHello, serverSelectedGroup } from './client-hello.js';
import { digestOf } from './digest.js';
import { mapPostHandshakeError, mapTlsError, VERIFY_REASONS } from './errors.js';
import { ServerContexts } from './server-context.js';
import { HYBRID_GROUP_SUPPORTED } from './hybrid-groups.js';
import { sessionIdEvents } from './session-id-cache.js';

/** A compiled listener configuration on Node's tls. */
export class OpensslAcceptor implements TlsAcceptor {
  private readonly contexts: ServerContexts;
  private readonly keylog: KeylogCallback | undefined;
  private readonly alpn: readonly string[] | undefined;
  /** The groups the server context was given, in its preference order (for the digest's group). */
  private readonly groups: readonly string[];
  private readonly sessionIdCache: EventEmitter | undefined;

  constructor(private readonly settings: TlsSettings) {
    this.contexts = new ServerContexts(settings);
    this.contexts.compileDefault(); // now, so a bad certificate fails at build time
    this.keylog = keylogWriter(settings.keylog);
    this.alpn = settings.alpn?.protocols;
    this.groups = settings.groupsFor(HYBRID_GROUP_SUPPORTED);
    this.sessionIdCache = sessionIdEvents(settings);
  }

  accept(socket: Socket, conn: ConnectionInfo): Promise<TlsStream> {
    const { settings } = this;
    return new Promise<TlsStream>((resolve, reject) => {
      let done = false;
      let tlsSocket: TLSSocket | undefined;
      const fail = (err: TlsHandshakeError) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (tlsSocket) tlsSocket.destroy();
        socket.destroy();
        reject(err);
      };
      const timer = setTimeout(() => fail(new TlsHandshakeTimeoutError(settings.handshakeTimeoutMs, 'downstream')),
        settings.handshakeTimeoutMs);

      const proceed = async (hello: ClientHello | undefined): Promise<void> => {
        if (done) return;
        let certKey: CertKey | undefined;
        if (settings.callbacks.certificate) {
          try {
            certKey = await settings.callbacks.certificate({ serverName: hello?.serverName, peerAddr: conn.peerAddr, clientHello: hello });
          } catch (err) {
            return fail(new TlsHandshakeError(`certificate callback failed: ${(err as Error).message}`, { source: 'downstream', cause: err }));
          }
          if (done) return;
        }
        const context = certKey ? this.contexts.contextFor(certKey) : this.contexts.defaultContext;
        if (!context) {
          // No certificate for this name: refuse as nginx does with ssl_reject_handshake.
          socket.end(Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 112])); // fatal unrecognized_name
          return fail(new TlsHandshakeError(`no certificate for server name ${hello?.serverName ?? '(none)'}`, { source: 'downstream', alert: 112 }));
        }
        const s = new TLSSocket(socket, {
          isServer: true,
          secureContext: context,
          requestCert: settings.clientAuth !== undefined,
          rejectUnauthorized: settings.clientAuth?.required ?? false,
          ...(this.alpn ? { ALPNProtocols: this.alpn as string[] } : {}),
          // Node asks the socket's `server` for sessions to store and resume (tls.Server's
          // 'newSession'/'resumeSession' events); a standalone socket gets this cache instead.
          ...(this.sessionIdCache ? { server: this.sessionIdCache as unknown as TlsServer } : {}),
        });
        tlsSocket = s;
        if (this.keylog) {
          const write = this.keylog;
          s.on('keylog', (line: Buffer) => write(line.toString('latin1').trimEnd()));
        }
        const onError = (err: Error) => fail(mapTlsError(err, 'downstream'));
        const onClose = () => fail(new TlsHandshakeError('connection closed during the TLS handshake', { source: 'downstream' }));
        s.once('error', onError);
        s.once('close', onClose);
        s.once('secure', () => {
          if (done) return;
          settleServerSocket(s, settings.clientAuth !== undefined);
          // Node accepts any client certificate during the handshake and leaves the verdict to
          // JavaScript (tls.Server does this check); required or optional, a certificate that
          // fails verification closes the connection. Optional: no certificate at all is fine.
          if (settings.clientAuth && s.getPeerX509Certificate() && !s.authorized) {
            return fail(new InvalidCertError(VERIFY_REASONS[String(s.authorizationError)] ?? 'verify-failed', String(s.authorizationError), { source: 'downstream' }));
          }
          const digest = digestOf(s, hello?.serverName, serverSelectedGroup(hello, this.groups, s.getProtocol() ?? ''));
          if (conn.clientHello) digest.clientHello = conn.clientHello;
          const complete = settings.callbacks.handshakeComplete;
          Promise.resolve(complete ? complete(digest) : undefined).then((extension) => {
            if (done) return;
            if (extension !== undefined) digest.extension = extension;
            done = true;
            clearTimeout(timer);
            s.off('error', onError);
            s.off('close', onClose);
            Object.defineProperty(s, 'digest', { value: digest, enumerable: true });
            resolve(s as unknown as TlsStream);
          }, (err: unknown) => fail(new TlsHandshakeError(`handshakeComplete callback failed: ${(err as Error).message}`, { source: 'downstream', cause: err })));
        });
      };
      const failed = (err: unknown) => fail(mapTlsError(err, 'downstream'));
      // Core's ClientHello phase (the Listener) has parsed it already: go on in this tick (an
      // async function runs synchronously up to its first await, and without a certificate
      // hook there is none). Read it here only for a bare socket (tests, tools).
      const parsed = conn.clientHello;
      if (parsed) proceed(parsed).catch(failed);
      else peekClientHello(socket).then(proceed).catch(failed);
    });
  }
}

interface ServerSocketInternals {
  secureConnecting: boolean;
  authorized: boolean;
  authorizationError: string | null;
  _handle?: { verifyError?: () => (Error & { code?: string }) | null } | null;
}

/**
 * What tls.Server does for its sockets on 'secure' (lib/_tls_wrap.js onServerSocketSecure) but a
 * standalone server TLSSocket does not: record the client-certificate verdict, and mark the
 * handshake finished (http2 otherwise waits forever for a 'secureConnect' that never comes).
 */
function settleServerSocket(s: TLSSocket, clientAuth: boolean): void {
  const socket = s as unknown as ServerSocketInternals;
  socket.secureConnecting = false;
  // A fatal error once the handshake is done (a record of an unknown type, an empty alert, a
  // ChangeCipherSpec after Finished, a record that fails to decrypt): OpenSSL has queued its
  // alert and Node has flushed it, but a standalone server TLSSocket whose control was never
  // released only reports the error as '_tlsError' and keeps the socket open. End it now, as
  // openssl s_server and the engine backends do, with the typed error.
  s.on('_tlsError', (err: unknown) => {
    if (!s.destroyed) s.destroy(mapPostHandshakeError(err, 'downstream'));
  });
  if (!clientAuth) return;
  const verifyError: (Error & { code?: string }) | null = socket._handle?.verifyError
    ? socket._handle.verifyError()
    : new Error('verification result unavailable');
  if (verifyError) socket.authorizationError = verifyError.code ?? verifyError.message;
  else socket.authorized = true;
}
