import { Alpn } from '../tls/alpn.js';
import { HttpProxy } from '../proxy/http-proxy.js';
import type { ProxyHttp } from '../proxy/proxy-http.js';
import type { ServerConf } from './conf.js';
import { Service } from './service.js';
import { ConnectionLimits } from '../listeners/connection-limits.js';

/**
 * A Service serving HttpProxy.new(app, conf) (Pingora's http_proxy_service). Its TLS endpoints
 * advertise h2 then http/1.1 unless their settings name an ALPN.
 */
export function httpProxyService<Ctx>(conf: ServerConf, app: ProxyHttp<Ctx>, name = 'HTTP proxy'): Service {
  return new Service(name, HttpProxy.new(app, conf), { defaultAlpn: Alpn.H2H1, limits: connectionLimitsOf(conf) });
}

/** The built-in connection limits ServerConf describes (max_connections, per-IP caps, CIDR lists). */
export function connectionLimitsOf(conf: ServerConf): ConnectionLimits {
  return new ConnectionLimits({
    maxConnections: conf.maxConnections,
    maxConnectionsPerIp: conf.maxConnectionsPerIp,
    maxNewConnectionsPerSecondPerIp: conf.maxNewConnectionsPerSecondPerIp,
    maxNewConnectionsPerSecondPerJa4: conf.maxNewConnectionsPerSecondPerJa4,
    allowCidrs: conf.allowCidrs,
    denyCidrs: conf.denyCidrs,
  });
}
