import type { Socket } from 'node:net';
import { GROUP_BY_CODE } from './names.js';

/** What the OpenSSL acceptor reads from a ClientHello before OpenSSL sees it. */
export interface ClientHelloSummary {
  serverName: string | undefined;
  /** supported_groups in the client's order (IANA names; unknown codes dropped). */
  supportedGroups: string[];
  /** Groups the client sent key shares for, in its order (TLS 1.3). */
  keyShareGroups: string[];
}

const RECORD_HEADER = 5;
const MAX_RECORD = 16384 + 2048;

/**
 * Reads the first TLS record off the socket and hands the bytes back with unshift, so Node's
 * TLSSocket receives them untouched (it drains a wrapped socket's buffer on its first read).
 * Resolves with the parsed ClientHello, or undefined when the bytes are not a readable
 * ClientHello: OpenSSL then sees the same bytes and answers with the right alert.
 * Needed because OpenSSL through Node does not report, on the server side, which group was
 * negotiated, nor runs a certificate hook for clients without SNI.
 */
export function peekClientHello(socket: Socket): Promise<ClientHelloSummary | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let have = 0;
    const finish = (summary: ClientHelloSummary | undefined) => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onError);
      socket.pause();
      if (have > 0) socket.unshift(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, have));
      resolve(summary);
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      have += chunk.length;
      const first = chunks[0]!;
      if (have < RECORD_HEADER && first.length < RECORD_HEADER) return;
      const head = first.length >= RECORD_HEADER ? first : Buffer.concat(chunks, have);
      if (head[0] !== 0x16) return finish(undefined);
      const len = head.readUInt16BE(3);
      if (len > MAX_RECORD) return finish(undefined);
      if (have < RECORD_HEADER + len) return;
      const all = chunks.length === 1 ? first : Buffer.concat(chunks, have);
      finish(parseClientHello(all.subarray(RECORD_HEADER, RECORD_HEADER + len)));
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

/** Parses a handshake fragment holding a ClientHello (RFC 8446 section 4.1.2). Never throws. */
export function parseClientHello(hs: Buffer): ClientHelloSummary | undefined {
  try {
    if (hs.length < 4 || hs[0] !== 0x01) return undefined;
    const body = hs.subarray(4, Math.min(hs.length, 4 + hs.readUIntBE(1, 3)));
    let p = 2 + 32; // legacy_version, random
    p += 1 + body[p]!; // legacy_session_id
    p += 2 + body.readUInt16BE(p); // cipher_suites
    p += 1 + body[p]!; // legacy_compression_methods
    const summary: ClientHelloSummary = { serverName: undefined, supportedGroups: [], keyShareGroups: [] };
    if (p + 2 > body.length) return summary;
    const extEnd = Math.min(body.length, p + 2 + body.readUInt16BE(p));
    p += 2;
    while (p + 4 <= extEnd) {
      const type = body.readUInt16BE(p);
      const len = body.readUInt16BE(p + 2);
      const ext = body.subarray(p + 4, Math.min(extEnd, p + 4 + len));
      p += 4 + len;
      if (type === 0x0000) summary.serverName = parseServerName(ext);
      else if (type === 0x000a) summary.supportedGroups = parseGroupList(ext.subarray(2, 2 + ext.readUInt16BE(0)));
      else if (type === 0x0033) summary.keyShareGroups = parseKeyShareGroups(ext);
    }
    return summary;
  } catch {
    return undefined;
  }
}

function parseServerName(ext: Buffer): string | undefined {
  // server_name_list: type(1)=host_name, then a 16-bit length and the name (RFC 6066 section 3).
  if (ext.length < 5 || ext[2] !== 0) return undefined;
  const len = ext.readUInt16BE(3);
  return ext.subarray(5, 5 + len).toString('ascii').toLowerCase();
}

function parseGroupList(list: Buffer): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < list.length; i += 2) {
    const name = GROUP_BY_CODE.get(list.readUInt16BE(i));
    if (name) out.push(name);
  }
  return out;
}

function parseKeyShareGroups(ext: Buffer): string[] {
  const out: string[] = [];
  const end = Math.min(ext.length, 2 + ext.readUInt16BE(0));
  for (let i = 2; i + 4 <= end;) {
    const group = ext.readUInt16BE(i);
    const len = ext.readUInt16BE(i + 2);
    const name = GROUP_BY_CODE.get(group);
    if (name) out.push(name);
    i += 4 + len;
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
  hello: ClientHelloSummary | undefined, ours: readonly string[], version: string,
): string | undefined {
  if (!hello) return undefined;
  if (version === 'TLSv1.3') {
    const share = hello.keyShareGroups.find((g) => ours.includes(g) && hello.supportedGroups.includes(g));
    return share ?? ours.find((g) => hello.supportedGroups.includes(g));
  }
  return hello.supportedGroups.find((g) => ours.includes(g));
}
