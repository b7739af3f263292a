import cluster from 'node:cluster';
import { ConfigError, Server, TlsSettings, httpProxyService, log, sessionIdShare, tlsBackend, type Service } from '@proxy/core';
import { loadGatewayConfig, parseGatewayConfig, type GatewayConfig, type ListenerConfig } from './config.js';
import { startDemoOrigin } from './demo-origin.js';
import { ALPN_BY_NAME, RouteTable } from './routes.js';
import { ensureSelfSignedCert } from './self-signed.js';
import { GatewayReloader, SwappableApp, reloadCertsSeconds } from './reload.js';
import { ticketKeyFilesOf, withTicketKeys } from './ticket-keys.js';

export interface GatewayArgs {
  config: string | undefined;
  port: number;
  host: string;
}

const USAGE = `usage: gateway [--config FILE.yaml] [--port N] [--host ADDR]
  no --config: a demo on https://localhost:8443 (self-signed certificate, h2 + http/1.1) in front of an embedded origin`;

export function parseGatewayArgs(argv: readonly string[]): GatewayArgs {
  const args: GatewayArgs = { config: undefined, port: Number(process.env['PORT'] ?? 8443), host: '127.0.0.1' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new ConfigError(`${a} needs a value\n${USAGE}`);
      return v;
    };
    if (a === '--config' || a === '-c') args.config = value();
    else if (a === '--port' || a === '-p') args.port = Number(value());
    else if (a === '--host') args.host = value();
    else if (a === '--help' || a === '-h') throw new ConfigError(USAGE);
    else throw new ConfigError(`unknown argument ${a}\n${USAGE}`);
  }
  if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535) throw new ConfigError(`bad port ${args.port}`);
  return args;
}

/** The demo gateway's configuration: one HTTPS listener, every path to the embedded origin. */
export async function demoConfig(args: GatewayArgs): Promise<GatewayConfig> {
  const cert = ensureSelfSignedCert();
  const origin = await startDemoOrigin();
  // Through the YAML parser, so every setting not named here takes the config file's default.
  return parseGatewayConfig({
    listeners: [{ address: `${args.host}:${args.port}`, tls: { cert: cert.cert, key: cert.key } }],
    routes: [{ upstream: origin.address }],
  }, 'demo config');
}

export function tlsSettingsOf(l: ListenerConfig): TlsSettings | undefined {
  const t = l.tls;
  if (!t) return undefined;
  const settings = t.minVersion === 'TLSv1.3' ? TlsSettings.modern(t.cert, t.key) : TlsSettings.intermediate(t.cert, t.key);
  settings.setVersions(t.minVersion, t.maxVersion);
  settings.setAlpn(ALPN_BY_NAME[t.alpn]);
  settings.setSessionTickets(t.sessionTickets);
  if (t.clientCa) settings.setClientAuth({ ca: t.clientCa, required: t.clientAuth !== 'optional' });
  if (t.keylog) settings.setKeylog(t.keylog);
  if (t.strictSni) settings.setStrictSni(t.serverNames);
  else if (t.serverNames) throw new ConfigError(`listener ${l.address}: tls.server_names is only used with strict_sni: true`);
  if (t.sessionIdCache > 0) {
    // Shared by every worker (held by the primary) where the backend's session lookup can wait
    // for it; otherwise per process, or TlsFeatureUnsupportedError on a backend without one.
    const shared = tlsBackend().features.has('session-id-cache-shared');
    settings.setSessionIdCache(t.sessionIdCache, shared ? sessionIdShare.store(l.address, t.sessionIdCache) : undefined);
  }
  return settings;
}

/** Says once, in the primary, when a session-ID cache cannot be shared by the workers. */
function notePerProcessSessionIdCache(config: GatewayConfig): void {
  const backend = tlsBackend();
  if (config.server.threads <= 1 || !cluster.isPrimary || backend.features.has('session-id-cache-shared')) return;
  if (!backend.features.has('session-id-cache') || !config.listeners.some((l) => (l.tls?.sessionIdCache ?? 0) > 0)) return;
  log.warn(`the ${backend.name} backend looks sessions up synchronously: each worker keeps its own TLS 1.2 session-ID cache, so a client that resumes by session ID on another worker makes a full handshake`);
}

/** Builds the gateway's Server from a configuration, without starting it. */
export function buildGateway(config: GatewayConfig): { server: Server; service: Service; app: SwappableApp } {
  const app = new SwappableApp(new RouteTable(config.routes));
  const service = httpProxyService(config.server, app, 'gateway');
  for (const l of config.listeners) {
    const tls = withTicketKeys(tlsSettingsOf(l), ticketKeyFilesOf(config, 'config'));
    if (tls) service.addTls(l.address, tls);
    else service.addTcp(l.address);
  }
  const server = new Server(config.server);
  server.addService(service);
  notePerProcessSessionIdCache(config);
  return { server, service, app };
}

/**
 * The gateway program: `apps/gateway` (OpenSSL) and its siblings on other backends are this
 * call after importing their backend. Returns once the listeners are bound; stops gracefully
 * on SIGTERM/SIGINT.
 */
export async function runGateway(argv: readonly string[]): Promise<Server> {
  const args = parseGatewayArgs(argv);
  const config = args.config ? loadGatewayConfig(args.config) : await demoConfig(args);
  const { server, service, app } = buildGateway(config);
  // Reload (SIGHUP, server.reload()): re-read the file (or the demo's certificate) and swap in what is new.
  const configPath = args.config;
  const reloader = new GatewayReloader({
    load: configPath ? () => loadGatewayConfig(configPath) : () => config,
    source: configPath ?? 'the demo config',
    server, service, app, config,
    tlsSettingsOf: (l, c) => withTicketKeys(tlsSettingsOf(l), ticketKeyFilesOf(c, configPath ?? 'demo config')),
    routesOf: (c) => new RouteTable(c.routes),
  });
  server.onReload(reloader.reload);
  // The primary of a multi-worker server reads `threads` on reload: a change replaces the workers.
  if (configPath) server.reloadConfFrom(() => loadGatewayConfig(configPath).server);
  const pollSeconds = reloadCertsSeconds(config, configPath ?? 'demo config');
  await server.runForever();
  if (!server.isSupervisor) {
    // Each serving process watches (or polls) the certificate files it loaded.
    if (pollSeconds !== undefined) reloader.startPolling(pollSeconds);
    reloader.startWatching();
  }
  if (!server.isSupervisor) {
    const backend = tlsBackend();
    const bound = service.addresses();
    config.listeners.forEach((l, i) => {
      const a = bound[i];
      const where = a ? `${a.address}:${a.port}` : l.address;
      log.info(`gateway listening on ${l.tls ? 'https' : 'http'}://${where} (TLS backend ${backend.name}: ${backend.library})`);
    });
    if (!args.config && bound[0]) printDemoHelp(bound[0].port);
  } else {
    log.info(`gateway supervisor: ${config.server.threads} workers listening (pids ${server.workerPids.join(', ')}); SIGHUP reloads, SIGUSR2 upgrades`);
  }
  return server;
}

function printDemoHelp(port: number): void {
  process.stdout.write([
    '',
    `The demo gateway is up: https://localhost:${port}/ (self-signed certificate, so -k)`,
    `  curl -k --http2 https://localhost:${port}/`,
    `  curl -k --http1.1 https://localhost:${port}/`,
    `  curl -k -v https://localhost:${port}/hello 2>&1 | grep -E "SSL connection|ALPN|HTTP/"`,
    'Stop it with Ctrl-C (graceful: in-flight requests finish).',
    '',
  ].join('\n'));
}
