import { readFileSync } from 'node:fs';
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { TlsConfigError } from '../errors/index.js';

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Reads a file for a TLS setting; a missing or unreadable file is a TlsConfigError naming it. */
export function readPemFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new TlsConfigError(`cannot read ${what} file ${path}: ${reason}`, { file: path, cause: err });
  }
}

/** Parses every certificate in a PEM bundle. `origin` names the file (or "inline PEM") in errors. */
export function parseCertificates(pem: string | Buffer, origin: string, what = 'certificate'): X509Certificate[] {
  const text = pem.toString('latin1');
  const blocks = text.match(CERT_BLOCK);
  if (!blocks || blocks.length === 0) {
    throw new TlsConfigError(`${what} ${origin} holds no PEM certificate (no "BEGIN CERTIFICATE" block)`, { file: fileOf(origin) });
  }
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch (err) {
      throw new TlsConfigError(
        `${what} ${origin}: certificate #${i + 1} is not valid DER inside its PEM block (${(err as Error).message})`,
        { file: fileOf(origin), cause: err },
      );
    }
  });
}

/** Parses a private key (PKCS#8, PKCS#1 or SEC1 PEM). Encrypted keys are refused with a clear reason. */
export function parsePrivateKey(pem: string | Buffer, origin: string): KeyObject {
  const text = pem.toString('latin1');
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) {
    throw new TlsConfigError(`private key ${origin} holds no PEM private key (no "BEGIN ... PRIVATE KEY" block)`, { file: fileOf(origin) });
  }
  if (/ENCRYPTED/.test(text)) {
    throw new TlsConfigError(`private key ${origin} is encrypted; give an unencrypted key`, { file: fileOf(origin) });
  }
  try {
    return createPrivateKey({ key: text, format: 'pem' });
  } catch (err) {
    throw new TlsConfigError(`private key ${origin} cannot be parsed (${(err as Error).message})`, { file: fileOf(origin), cause: err });
  }
}

function fileOf(origin: string): string | undefined {
  return origin.startsWith('inline') ? undefined : origin;
}
