// @proxy/testkit: the test PKI, real-peer helpers and the shared TLS backend conformance suite.
export * from './pki.js';
export * from './peers/peer-process.js';
export * from './peers/ports.js';
export * from './peers/openssl-cli.js';
export * from './peers/gnutls-cli.js';
export * from './peers/curl.js';
export * from './peers/node-tls.js';
export * from './peers/backend-bin.js';
export * from './peers/dribble-relay.js';
export * from './peers/raw-h2.js';
export * from './peers/pq-node.js';
export { BackendTestServer, type AcceptOutcome } from './conformance/backend-server.js';
export {
  backendConnect, clientOptions, exchange, tcpConnect, type ConformanceArea, type TlsConformanceOptions,
} from './conformance/context.js';
export { expectDigest, expectPeerCertificate, type DigestExpectation } from './conformance/expect-digest.js';
export { expectInvalidCert, expectInvalidCertDetail } from './conformance/expect-error.js';
export { parseKeylog } from './conformance/keylog-cases.js';
export { peerBinsFrom, type PeerBin } from './conformance/interop-cases.js';
export * from './conformance/names.js';
export * from './conformance/results.js';
export { describeTlsConformance } from './conformance/suite.js';
export { describeUpstreamConformance, type UpstreamConformanceOptions } from './conformance/upstream-nginx.js';
export { describeHostileH2, type HostileH2Options } from './hostile/hostile-h2.js';
export { describeBrowserGateway, BROWSER_ARTIFACTS, CHROMIUM, type BrowserGatewayOptions } from './browser/browser-gateway.js';
export { describeHostileH1, underLoad, HOSTILE_LIMITS, type HostileH1Options } from './hostile/hostile-h1.js';
export { LegitLoad, rawExchange, rawTls, startHostileGateway, type HostileGateway, type RawResult } from './hostile/gateway.js';
export { describeGracefulShutdown } from './hostile/graceful-shutdown.js';
export { describeHandshakeFailedHook } from './ops/handshake-failed.js';
export {
  describeGatewayOperations, parsePrometheus, metricSum, type GatewayOperationsOptions, type GatewayOperationsCase, type GatewayKnownIssue, type Sample,
} from './ops/gateway-ops.js';
export { describeBorrowedBodies } from './proxy/borrowed-bodies.js';
export { describeOutputBlocks, pumpEngines, type ConnectedEngines } from './engine/output-blocks.js';
export { describeDemoGatewayApp, startDemoGateway, type RunningGateway } from './apps/demo-gateway.js';
export { describeClientHelloPhase } from './hello/client-hello-phase.js';
