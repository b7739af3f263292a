// The test tools of @proxy/core, reached as '@proxy/core/tools' by every backend's bin.
export * from './tls-tool.js';
export { runSServer, sServerSettings, alpnOf, wwwPage } from './s-server.js';
export { runSClient, sClientOptions } from './s-client.js';
export * from './check-backend.js';
