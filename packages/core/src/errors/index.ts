export * from './proxy-error.js';
export * from './tls-errors.js';
export * from './io-errors.js';
export * from './limit-errors.js';
