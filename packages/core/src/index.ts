export * from './errors/index.js';
export * from './tls/index.js';
export * from './proxy/index.js';
export * from './upstream/index.js';
export * from './listeners/index.js';
export * from './server/index.js';
export * from './metrics/index.js';
export * from './log/index.js';
export { log, type LogLevel } from './log.js';
