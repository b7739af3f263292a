export * from './peer.js';
export * from './config-cache.js';
export * from './connector.js';
export * from './pool.js';
export * from './h1-client.js';
export * from './h2-client.js';
