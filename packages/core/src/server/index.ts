export * from './conf.js';
export * from './server.js';
export * from './service.js';
export * from './service-app.js';
export * from './http-proxy-service.js';
export * from './reload.js';
export * from './ticket-key-share.js';
