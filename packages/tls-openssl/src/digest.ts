import type { TLSSocket } from 'node:tls';
import { peerCertificateInfo, type SslDigest, type TlsVersion } from '@proxy/core';
import { groupFromNodeName } from './names.js';

/** The normalized digest of a finished Node TLSSocket handshake. `group` is passed in on the server side. */
export function digestOf(socket: TLSSocket, sni: string | undefined, group: string | undefined): SslDigest {
  const peer = socket.getPeerX509Certificate();
  const alpn = socket.alpnProtocol;
  return {
    backend: 'openssl',
    version: socket.getProtocol() as TlsVersion,
    cipher: socket.getCipher().standardName,
    group: group ?? groupFromNodeName((socket.getEphemeralKeyInfo() as { name?: string } | null)?.name),
    sni: sni || undefined,
    alpn: alpn ? alpn : undefined,
    sessionReused: socket.isSessionReused(),
    peerCertificate: peer ? peerCertificateInfo(peer) : undefined,
  };
}
