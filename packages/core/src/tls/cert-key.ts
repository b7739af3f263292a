import type { X509Certificate, KeyObject } from 'node:crypto';
import { TlsConfigError } from '../errors/index.js';
import { parseCertificates, parsePrivateKey, readPemFile } from './pem.js';

/**
 * A certificate chain (leaf first, then intermediates) with the leaf's private key, checked
 * when built: the PEM parses, and the key belongs to the leaf.
 */
export class CertKey {
  private constructor(
    /** Leaf first, then intermediates, as sent in the Certificate message. */
    readonly chain: readonly X509Certificate[],
    readonly key: KeyObject,
    readonly chainPem: string,
    readonly keyPem: string,
    /** Where it came from, for messages. */
    readonly origin: string,
  ) {}

  static fromPem(chainPem: string | Buffer, keyPem: string | Buffer, origin = 'inline PEM'): CertKey {
    const chain = parseCertificates(chainPem, origin);
    const key = parsePrivateKey(keyPem, origin);
    return CertKey.checked(chain, key, chainPem.toString(), keyPem.toString(), origin, origin);
  }

  static fromFiles(certPath: string, keyPath: string): CertKey {
    const chainPem = readPemFile(certPath, 'certificate');
    const keyPem = readPemFile(keyPath, 'private key');
    const chain = parseCertificates(chainPem, certPath);
    const key = parsePrivateKey(keyPem, keyPath);
    return CertKey.checked(chain, key, chainPem.toString(), keyPem.toString(), certPath, keyPath);
  }

  private static checked(
    chain: X509Certificate[], key: KeyObject, chainPem: string, keyPem: string, certOrigin: string, keyOrigin: string,
  ): CertKey {
    const leaf = chain[0]!;
    if (!leaf.checkPrivateKey(key)) {
      throw new TlsConfigError(
        `private key ${keyOrigin} does not match the certificate in ${certOrigin} (subject ${leaf.subject.replace(/\n/g, ', ')})`,
        { file: keyOrigin.startsWith('inline') ? undefined : keyOrigin },
      );
    }
    return new CertKey(chain, key, chainPem, keyPem, certOrigin);
  }

  get leaf(): X509Certificate {
    return this.chain[0]!;
  }

  /** The leaf key's algorithm: "ec", "rsa", "rsa-pss", "ed25519", ... */
  get keyType(): string {
    return this.key.asymmetricKeyType ?? 'unknown';
  }

  /** A stable identity for pool keys and config caches. */
  get fingerprint(): string {
    return this.leaf.fingerprint256;
  }
}
