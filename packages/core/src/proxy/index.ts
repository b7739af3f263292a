export * from './proxy-http.js';
export * from './session.js';
export * from './http-proxy.js';
export * from './error-status.js';
export * from './forwarding-headers.js';
export { HeaderMap } from '../http/header-map.js';
export { RequestHead, ResponseHead } from '../http/messages.js';
export type { DownstreamExchange } from '../http/downstream.js';
export { limitCounters } from '../http/limit-counters.js';
