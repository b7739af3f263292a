import { PeerMisbehaved, fatal } from './alerts.js';
import type { CryptoProvider, GroupName } from './crypto/provider.js';
import { HybridShareError, hybridClientKey, hybridEncapsulate } from './crypto/x25519mlkem768.js';
import type { NamedGroup } from './suites.js';

/**
 * Key shares of every group this backend speaks, the classical (EC)DHE groups of the crypto
 * provider and the hybrid KEM X25519MLKEM768, behind one shape for the TLS 1.3 handshakes
 * (RFC 8446 4.2.8). A KEM is not Diffie-Hellman: the server's share is computed FROM the
 * client's (an encapsulation), so the server side is one call, `answerKeyShare`.
 */

/** The hybrid post-quantum groups: TLS 1.3 only (draft-ietf-tls-ecdhe-mlkem), never TLS 1.2's ECDHE. */
export function isHybridGroup(group: NamedGroup): group is 'X25519MLKEM768' {
  return group === 'X25519MLKEM768';
}

/** The groups of `groups` that TLS 1.2 ECDHE can use (RFC 8422), in the same order. */
export function classicalGroups(groups: readonly NamedGroup[]): GroupName[] {
  return groups.filter((g): g is GroupName => !isHybridGroup(g));
}

/** A client key share: what we send in key_share, and the secret once the server answered. */
export interface ClientKeyShare {
  readonly group: NamedGroup;
  readonly publicKey: Uint8Array;
  /** The (EC)DHE / hybrid shared secret from the server's key_exchange; throws a protocol error. */
  complete(serverShare: Uint8Array): Uint8Array;
}

export function newClientKeyShare(provider: CryptoProvider, group: NamedGroup): ClientKeyShare {
  if (isHybridGroup(group)) {
    const key = hybridClientKey(provider);
    return { group, publicKey: key.publicKey, complete: (share) => hybridOrFatal(() => key.decapsulate(share)) };
  }
  const kx = provider.keyExchange(group);
  return {
    group,
    publicKey: kx.publicKey,
    complete(share) {
      try {
        return kx.agree(share);
      } catch {
        throw fatal(PeerMisbehaved.InvalidKeyShare, group);
      }
    },
  };
}

/**
 * The client's default key shares (RFC 8446 4.2.8: one per group, a subset of supported_groups):
 * a share for our first group, and when that is a hybrid, one for the first classical group too.
 * That is what Chrome, Firefox and OpenSSL 3.5 send (X25519MLKEM768 and X25519): a server
 * without the hybrid still completes in one round trip, one with it gets post-quantum security.
 */
export function initialShareGroups(groups: readonly NamedGroup[]): NamedGroup[] {
  const first = groups[0];
  if (first === undefined) return [];
  if (!isHybridGroup(first)) return [first];
  const classical = classicalGroups(groups)[0];
  return classical ? [first, classical] : [first];
}

/**
 * The server's share for `group` answering the client's `clientShare`, with the shared secret.
 * A share of the wrong size, or an ML-KEM key failing FIPS 203's modulus check, is
 * illegal_parameter (draft-ietf-tls-ecdhe-mlkem 3); an invalid (EC)DH value is too (RFC 8446 4.2.8.2).
 */
export function answerKeyShare(provider: CryptoProvider, group: NamedGroup, clientShare: Uint8Array): { publicKey: Uint8Array; sharedSecret: Uint8Array } {
  if (isHybridGroup(group)) return hybridOrFatal(() => hybridEncapsulate(provider, clientShare));
  try {
    const kx = provider.keyExchange(group);
    return { publicKey: kx.publicKey, sharedSecret: kx.agree(clientShare) };
  } catch {
    throw fatal(PeerMisbehaved.InvalidKeyShare, group);
  }
}

function hybridOrFatal<T>(run: () => T): T {
  try {
    return run();
  } catch (e) {
    if (e instanceof HybridShareError) {
      // RFC 8446 4.2.8.2 / 7.4.2 for the X25519 half, as for a plain x25519 share.
      if (e.fault === 'x25519') throw fatal(PeerMisbehaved.InvalidKeyShare, `X25519MLKEM768: ${e.message}`);
      throw fatal(PeerMisbehaved.MalformedHybridKeyShare, e.message);
    }
    // draft-ietf-tls-ecdhe-mlkem 3: an ML-KEM failure for any other reason is internal_error,
    // which is what the engine sends for an error that is not a protocol condition.
    throw e;
  }
}
