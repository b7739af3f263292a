import { ConfigError, loadTicketKeyFiles, log, tlsBackend, type TlsSettings } from '@proxy/core';
import type { GatewayConfig } from './config.js';

/** The `session_ticket_key_files` key (a gateway extension key of ServerConf): paths, the first encrypts. */
export function ticketKeyFilesOf(config: GatewayConfig, origin: string): string[] | undefined {
  const v = config.server.extensions['session_ticket_key_files'];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.length === 0 || !v.every((p) => typeof p === 'string')) {
    throw new ConfigError(`${origin}: session_ticket_key_files must be a non-empty list of file paths`, { file: origin });
  }
  return v;
}

let warnedSingleKey = false;

/**
 * Gives a listener's settings the shared ticket keys from `files` (read now: a reload re-reads
 * them, which is how a fleet rotates). A backend that holds one key (no
 * `session-ticket-key-rotation`, e.g. Node's tls) gets the first file's key only: tickets sealed
 * with the older keys then cost a full handshake, which is logged once.
 */
export function withTicketKeys(settings: TlsSettings | undefined, files: readonly string[] | undefined): TlsSettings | undefined {
  if (!settings || !files || !settings.sessionTickets) return settings;
  const keys = loadTicketKeyFiles(files);
  const backend = tlsBackend();
  if (keys.length > 1 && !backend.features.has('session-ticket-key-rotation')) {
    if (!warnedSingleKey) {
      warnedSingleKey = true;
      log.warn(`the ${backend.name} backend holds one session ticket key: only ${files[0]} is used; tickets sealed with the other files make a full handshake`);
    }
    return settings.setTicketKeys(keys.slice(0, 1));
  }
  return settings.setTicketKeys(keys);
}
