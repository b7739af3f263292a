import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { TlsConfigError } from '../errors/index.js';

/**
 * Session ticket keys in nginx's `ssl_session_ticket_key` format: 48 bytes (16-byte key name,
 * 16-byte HMAC secret, 16-byte AES-128 key) or 80 bytes (16-byte name, 32-byte HMAC secret,
 * 32-byte AES-256 key). `openssl rand 80 > ticket.key` makes one. A list's first key encrypts
 * new tickets; the others only decrypt (rotation).
 */
export const TICKET_KEY_LENGTHS: readonly number[] = [48, 80];

/** Checks lengths and repeats; throws TlsConfigError. */
export function checkTicketKeys(keys: readonly Buffer[], what = 'session ticket keys'): Buffer[] {
  if (keys.length === 0) throw new TlsConfigError(`${what}: the list is empty`);
  const names = new Set<string>();
  for (const [i, k] of keys.entries()) {
    if (!TICKET_KEY_LENGTHS.includes(k.length)) {
      throw new TlsConfigError(`${what}: key ${i} is ${k.length} bytes; a ticket key is 48 or 80 bytes (nginx's format)`);
    }
    const name = k.subarray(0, 16).toString('hex');
    if (names.has(name)) throw new TlsConfigError(`${what}: key ${i} repeats the name of an earlier key`);
    names.add(name);
  }
  return keys.map((k) => Buffer.from(k));
}

/** Reads key files (nginx's format, the first encrypts); errors name the file. */
export function loadTicketKeyFiles(paths: readonly string[]): Buffer[] {
  const keys = paths.map((p) => {
    try {
      return readFileSync(p);
    } catch (err) {
      throw new TlsConfigError(`cannot read session ticket key file ${p}: ${(err as Error).message}`, { cause: err });
    }
  });
  keys.forEach((k, i) => {
    if (!TICKET_KEY_LENGTHS.includes(k.length)) {
      throw new TlsConfigError(`session ticket key file ${paths[i]} is ${k.length} bytes; it must hold 48 or 80 random bytes (openssl rand 80)`);
    }
  });
  return checkTicketKeys(keys, 'session_ticket_key_files');
}

/** A fresh random 80-byte key. */
export function generateTicketKey(): Buffer {
  return randomBytes(80);
}

/**
 * The 48-byte form some libraries take (Node's `ticketKeys`: name, HMAC secret, AES-128 key):
 * a 48-byte key as it is; an 80-byte key as its name and the first 16 bytes of its HMAC secret
 * and AES key. Every process derives the same bytes, so a fleet still shares tickets.
 */
export function ticketKey48(key: Buffer): Buffer {
  if (key.length === 48) return key;
  return Buffer.concat([key.subarray(0, 16), key.subarray(16, 32), key.subarray(48, 64)]);
}
