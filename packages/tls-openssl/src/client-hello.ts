import type { Socket } from 'node:net';
import { ClientHelloReader, type ClientHello } from '@proxy/core';
import { GROUP_BY_CODE } from './names.js';

/**
 * The ClientHello for an acceptor called without core's ClientHello phase (a Listener sets
 * `conn.clientHello`; tests and tools may call `accept` on a bare socket): reads it with core's
 * reader and hands every byte back with unshift, so Node's TLSSocket receives them untouched
 * (it drains a wrapped socket's buffer on its first read). Resolves undefined when the bytes
 * are not a usable ClientHello: OpenSSL then sees the same bytes and answers with its alert.
 * Needed because OpenSSL through Node neither reports, on the server side, which group was
 * negotiated, nor runs a certificate hook for clients without SNI.
 */
export function peekClientHello(socket: Socket): Promise<ClientHello | undefined> {
  return new Promise((resolve, reject) => {
    const reader = new ClientHelloReader();
    let have = 0;
    const finish = (hello: ClientHello | undefined) => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onError);
      socket.pause();
      if (have > 0) socket.unshift(reader.bytes);
      resolve(hello);
    };
    const onData = (chunk: Buffer) => {
      have += chunk.length;
      const r = reader.push(chunk);
      if (r.status === 'done') finish(r.hello);
      else if (r.status === 'failed') finish(undefined);
    };
    const onEnd = () => finish(undefined);
    const onError = (err: Error) => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      reject(err);
    };
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    socket.once('error', onError);
    socket.resume();
  });
}

function groupNames(codes: readonly number[]): string[] {
  const out: string[] = [];
  for (const c of codes) {
    const name = GROUP_BY_CODE.get(c);
    if (name) out.push(name);
  }
  return out;
}

/**
 * The group OpenSSL 3.0's server picks, given our group list (ssl/statem/extensions_srvr.c):
 * TLS 1.3 takes the first client key share whose group we support, else a HelloRetryRequest for
 * our first group the client supports; TLS 1.2 without server preference takes the client's
 * first supported group that we support (ssl/t1_lib.c tls1_shared_group).
 */
export function serverSelectedGroup(
  hello: ClientHello | undefined, ours: readonly string[], version: string,
): string | undefined {
  if (!hello) return undefined;
  const supported = groupNames(hello.groups);
  if (version === 'TLSv1.3') {
    const share = groupNames(hello.keyShareGroups).find((g) => ours.includes(g) && supported.includes(g));
    return share ?? ours.find((g) => supported.includes(g));
  }
  return supported.find((g) => ours.includes(g));
}
