export * from './config.js';
export * from './demo-origin.js';
export * from './routes.js';
export * from './run.js';
export * from './self-signed.js';
export * from './reload.js';
export * from './ticket-keys.js';
