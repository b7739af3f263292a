import type { CryptoProvider } from './provider.js';
import { pureCryptoProvider } from './pure.js';
import { nodeCryptoProvider } from './node.js';

let current: CryptoProvider = process.env['PROXY_TLS_PURE_CRYPTO'] === 'node' ? nodeCryptoProvider : pureCryptoProvider;

/**
 * Chooses the cryptography of acceptors and connectors built from now on (each one keeps the
 * provider it was built with, as part of its compiled configuration): 'pure' (the
 * default; @noble/* and node-forge, runs wherever JavaScript runs), 'node' (node:crypto, faster),
 * or any CryptoProvider. The environment variable PROXY_TLS_PURE_CRYPTO=node sets the initial choice.
 */
export function setCryptoProvider(provider: 'pure' | 'node' | CryptoProvider): void {
  current = resolveCryptoProvider(provider);
}

/** 'pure' / 'node' / a CryptoProvider, as a CryptoProvider. */
export function resolveCryptoProvider(provider: 'pure' | 'node' | CryptoProvider): CryptoProvider {
  return provider === 'pure' ? pureCryptoProvider : provider === 'node' ? nodeCryptoProvider : provider;
}

export function cryptoProvider(): CryptoProvider {
  return current;
}
