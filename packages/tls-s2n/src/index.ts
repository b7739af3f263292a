import { registerTlsBackend } from '@proxy/core';
import { s2nBackend } from './backend.js';

export {
  s2nBackend, compileServer, compileClient, newServerEngine, setMaxBlindingSeconds, maxBlindingDelaySeconds,
  S2nServerContext, S2nClientContext, POLICIES, PACKAGE_NAME, LIBRARY,
} from './backend.js';
export { S2nEngine, parseAlpn } from './engine.js';
export { s2n, AWS_CRT_VERSION, awsCrtBinaryDir, requiredFunctions, simulatePlatformForTests, simulateMissingFunctionForTests } from './native.js';
export type { S2nNative } from './native.js';

// Importing the package registers it: exactly one backend per app (DESIGN.md).
registerTlsBackend(s2nBackend);
