import type { Socket } from 'node:net';
import type { ConnectionInfo } from '../tls/backend.js';
import { socketAddress } from './connection-filter.js';

/**
 * The ConnectionInfo of an accepted socket: addresses as "ip:port" ("[ip]:port" for IPv6) and
 * a fresh state object for the connection filter to stamp.
 */
export function connectionInfo(socket: Socket, state: Record<string, unknown> = {}): ConnectionInfo {
  return {
    peerAddr: socketAddress(socket.remoteAddress ?? '', socket.remotePort ?? 0, socket.remoteFamily ?? 'IPv4').toString(),
    localAddr: socketAddress(socket.localAddress ?? '', socket.localPort ?? 0, socket.localFamily ?? 'IPv4').toString(),
    state,
  };
}
