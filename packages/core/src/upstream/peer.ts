import { createHash, type X509Certificate } from 'node:crypto';
import { Alpn } from '../tls/alpn.js';
import type { CertKey } from '../tls/cert-key.js';
import { parseCertificates } from '../tls/pem.js';

/**
 * How to talk to one upstream. Everything that changes the TLS session is part of
 * `HttpPeer.reuseKey()`, so a pooled connection is only handed to a peer that would have
 * negotiated the very same session.
 */
export class PeerOptions {
  /** Verify the certificate chain against the trust store. */
  verifyCert = true;
  /** Check the certificate names against the SNI (and `alternativeCn`). */
  verifyHostname = true;
  /** An extra name accepted in the upstream certificate besides the SNI. */
  alternativeCn: string | undefined = undefined;
  /** Protocols offered in ALPN. HTTP/2 is used when the upstream picks "h2". */
  alpn: Alpn = Alpn.H1;
  /** Client certificate chain (leaf first, then intermediates) and key; overrides HttpProxy.newMtls's. */
  clientCertKey: CertKey | undefined = undefined;
  /** Limit for the TCP connect, and separately for the TLS handshake (ms). */
  connectionTimeout: number | undefined = undefined;
  /** Limit for TCP connect + TLS handshake together (ms). */
  totalConnectionTimeout: number | undefined = undefined;
  /** Longest wait for the next bytes of the upstream response (ms). */
  readTimeout: number | undefined = undefined;
  /** Longest wait for the upstream to accept more request bytes (ms). */
  writeTimeout: number | undefined = undefined;
  /** How long an idle pooled connection is kept (ms); undefined: until the pool evicts it or the upstream closes it. */
  idleTimeout: number | undefined = undefined;
  /** Separates otherwise identical peers into different pools (e.g. per tenant). */
  groupKey = '';
  /** Resume TLS sessions with this upstream (tickets or session ids); false forces a full handshake every time. */
  sessionResumption = true;
  /** Concurrent HTTP/2 streams per upstream connection (also capped by the upstream's own setting). */
  maxH2Streams = 100;

  private caPemText: string | undefined;
  private caCerts: readonly X509Certificate[] | undefined;
  private caId = '';

  /**
   * Trust anchors for this peer (PEM, one or more certificates), replacing the default store
   * (ServerConf ca_file, else the system's). Parsed when set: a bad PEM throws TlsConfigError here.
   */
  get ca(): string | undefined {
    return this.caPemText;
  }

  set ca(pem: string | Buffer | undefined) {
    if (pem === undefined) {
      this.caPemText = undefined;
      this.caCerts = undefined;
      this.caId = '';
      return;
    }
    const text = typeof pem === 'string' ? pem : pem.toString('latin1');
    this.caCerts = parseCertificates(text, 'peer ca', 'CA certificate');
    this.caPemText = text;
    this.caId = createHash('sha256').update(text).digest('base64url').slice(0, 22);
  }

  /** The parsed `ca`. */
  get caCertificates(): readonly X509Certificate[] | undefined {
    return this.caCerts;
  }

  /** A short stable id of `ca`, for keys. */
  get caKey(): string {
    return this.caId;
  }
}

export class HttpPeer {
  readonly options = new PeerOptions();
  /** Host part of `address`, without IPv6 brackets. */
  readonly host: string;
  readonly port: number;

  /**
   * @param address "host:port" (IPv6 as "[::1]:443")
   * @param useTls  TLS to the upstream
   * @param sni     server name to send; empty sends no SNI
   */
  constructor(
    readonly address: string,
    readonly useTls: boolean,
    readonly sni: string,
  ) {
    const colon = address.lastIndexOf(':');
    if (colon <= 0) throw new TypeError(`peer address must be "host:port", got ${JSON.stringify(address)}`);
    let host = address.slice(0, colon);
    if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
    const port = Number(address.slice(colon + 1));
    if (!Number.isInteger(port) || port <= 0 || port > 65535) {
      throw new TypeError(`peer address ${JSON.stringify(address)} has no valid port`);
    }
    this.host = host;
    this.port = port;
  }

  /** A TLS peer that presents `certKey` when the upstream asks for a client certificate. */
  static newMtls(address: string, sni: string, certKey: CertKey): HttpPeer {
    const peer = new HttpPeer(address, true, sni);
    peer.options.clientCertKey = certKey;
    return peer;
  }

  /**
   * The connection-pool key: every field that changes the connection or its TLS session.
   * Computed on each call because options are mutable until the peer is used.
   */
  reuseKey(): string {
    const o = this.options;
    if (!this.useTls) return `tcp|${this.address}|${o.alpn.kind === 'H2' ? 'h2c' : 'h1'}|${o.groupKey}`;
    return `tls|${this.address}|${this.sni}|${o.verifyCert ? 1 : 0}${o.verifyHostname ? 1 : 0}|${o.alternativeCn ?? ''}|${
      o.caKey}|${o.clientCertKey ? certKeyId(o.clientCertKey) : ''}|${o.alpn.toString()}|${o.groupKey}`;
  }

  toString(): string {
    return `${this.useTls ? 'https' : 'http'}://${this.address}${this.sni && this.useTls ? ` (sni ${this.sni})` : ''}`;
  }
}

const certKeyIds = new WeakMap<CertKey, string>();

/**
 * Identifies a client certificate by its whole chain, not only the leaf: the same leaf sent with
 * and without its intermediate is a different TLS session to a server that verifies it.
 */
export function certKeyId(certKey: CertKey): string {
  let id = certKeyIds.get(certKey);
  if (id === undefined) {
    id = createHash('sha256').update(certKey.chainPem).digest('base64url').slice(0, 22);
    certKeyIds.set(certKey, id);
  }
  return id;
}
