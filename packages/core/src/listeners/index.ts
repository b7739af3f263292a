export * from './address.js';
export * from './connection-filter.js';
export * from './listener.js';
export * from './connection-info.js';
export * from './cidr.js';
export * from './connection-limits.js';
export * from './handshake-observer.js';
