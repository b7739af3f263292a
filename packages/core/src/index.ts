export * from './errors/index.js';
export * from './tls/index.js';
