import { openSync, writeSync, closeSync, fchmodSync } from 'node:fs';

/** Receives NSS key-log lines ("LABEL <client_random hex> <secret hex>", no newline). */
export type KeylogCallback = (line: string) => void;

export type KeylogTarget = { path: string } | { callback: KeylogCallback };

const openFiles = new Map<string, number>();

/**
 * Resolves a key-log target to a line writer: an explicit target wins, else SSLKEYLOGFILE.
 * Files are created (or tightened) to mode 0600 because they hold session secrets; lines are
 * appended whole so concurrent connections never interleave within a line.
 */
export function keylogWriter(target: KeylogTarget | undefined, env = process.env): KeylogCallback | undefined {
  if (target && 'callback' in target) return target.callback;
  const path = target?.path ?? env['SSLKEYLOGFILE'];
  if (!path) return undefined;
  let fd = openFiles.get(path);
  if (fd === undefined) {
    fd = openSync(path, 'a', 0o600);
    fchmodSync(fd, 0o600);
    openFiles.set(path, fd);
  }
  const file = fd;
  return (line: string) => {
    writeSync(file, line.endsWith('\n') ? line : `${line}\n`);
  };
}

/** Closes key-log files (for tests and shutdown). */
export function closeKeylogFiles(): void {
  for (const fd of openFiles.values()) closeSync(fd);
  openFiles.clear();
}
