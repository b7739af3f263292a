export * from './errors/index.js';
export * from './tls/index.js';
export * from './proxy/index.js';
export * from './upstream/index.js';
