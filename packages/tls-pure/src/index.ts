import { registerTlsBackend } from '@proxy/core';
import { pureBackend } from './backend.js';

export {
  pureBackend, compileServerConfig, compileClientConfig, newServerEngine, newClientEngine, createPureAcceptor, createPureConnector, PACKAGE_NAME, LIBRARY,
} from './backend.js';
export type { PureConfigOptions } from './backend.js';
export { setCryptoProvider, cryptoProvider } from './crypto/select.js';
export { pureCryptoProvider, pureCryptoProviderWith } from './crypto/pure.js';
export { nodeCryptoProvider } from './crypto/node.js';
export type { CryptoProvider, Aead, KeyExchange, HashName, AeadName, GroupName } from './crypto/provider.js';
export type { NamedGroup } from './suites.js';
export { PureTlsEngine } from './engine.js';
export { SessionCache } from './config.js';
export type { ServerConfig, ClientConfig } from './config.js';
export { verifyCertificateChain } from './verify/chain.js';
export { certificateMatchesHost } from './verify/hostname.js';
export { AlertDescription } from './alerts.js';
export { CONDITION_ALERTS, PeerMisbehaved, PureTlsProtocolError } from './conditions.js';

// Importing the package registers it: exactly one backend per app (DESIGN.md).
registerTlsBackend(pureBackend);
