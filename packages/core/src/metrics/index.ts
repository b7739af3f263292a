export { ProxyMetrics, metrics, failureLabels, setRequestRoute, requestRoute, secondsSince } from './metrics.js';
export { MetricsEndpoint } from './endpoint.js';
