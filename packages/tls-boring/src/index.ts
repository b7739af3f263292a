import { registerTlsBackend } from '@proxy/core';
import { boringBackend } from './backend.js';

export {
  boringBackend, compileServer, compileClient, newServerEngine, newClientEngine, libraryName, PACKAGE_NAME, DEBIAN_SOURCE, DEBIAN_VERSION,
} from './backend.js';
export type { CompiledServer, CompiledClient } from './backend.js';
export { BoringEngine, GROUP_NAMES } from './engine.js';
export { X509_V_ERR_REASONS } from './errors.js';
export { ADDON_PATH, tryNative } from './native.js';

// Importing the package registers it: exactly one backend per app (DESIGN.md). A missing
// native build does not stop this; createAcceptor/createConnector then throw TlsBackendUnavailableError.
registerTlsBackend(boringBackend);
