// The gateway on each installed backend: apps/gateway (OpenSSL) and apps/gateway-<backend>.
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startProcess, waitPort } from '../proc.mjs';

const BACKEND_OF = { gateway: 'openssl', 'gateway-pure': 'pure', 'gateway-boring': 'boringssl', 'gateway-s2n': 's2n' };

export function gatewayYaml({ port, cert, key, min, max, tickets, upstreamPort, alpn = 'h2h1' }) {
  return `threads: 1
listeners:
  - address: 127.0.0.1:${port}
    tls:
      cert: ${cert}
      key: ${key}
      alpn: ${alpn}
      session_tickets: ${tickets ? 'true' : 'false'}
      min_version: ${min}
      max_version: ${max}
routes:
  - path: /
    upstream: 127.0.0.1:${upstreamPort}
    tls: false
`;
}

/** Every built gateway app under apps/: apps/gateway and apps/gateway-*, with dist/main.js present. */
export function discoverGateways(repoRoot, { extraNodeArgs = [], overrides = {} } = {}) {
  const apps = join(repoRoot, 'apps');
  if (!existsSync(apps)) return [];
  const out = [];
  const names = readdirSync(apps).sort();
  for (const backend of Object.keys(overrides)) {
    const name = Object.entries(BACKEND_OF).find(([, b]) => b === backend)?.[0] ?? `gateway-${backend}`;
    if (!names.includes(name)) names.push(name);
  }
  for (const name of names) {
    if (name !== 'gateway' && !name.startsWith('gateway-')) continue;
    const backend = BACKEND_OF[name] ?? name.slice('gateway-'.length);
    const main = overrides[backend] ?? join(apps, name, 'dist', 'main.js');
    const shown = overrides[backend] ?? `apps/${name}/dist/main.js`;
    out.push(gatewaySubject({ id: `gw-${backend}`, backend, label: `gateway ${backend}`,
      description: `node ${shown} (${backend} backend), threads: 1`, main, extraNodeArgs, env: {} }));
    // The pure backend's second crypto provider (node:crypto for ECDHE, signatures and AEAD).
    if (backend === 'pure') {
      out.push(gatewaySubject({ id: 'gw-pure-node', backend: 'pure-node', label: 'gateway pure (node:crypto)',
        description: `PROXY_TLS_PURE_CRYPTO=node node ${shown} (pure backend, node:crypto provider), threads: 1`,
        main, extraNodeArgs, env: { PROXY_TLS_PURE_CRYPTO: 'node' } }));
    }
  }
  return out;
}

function gatewaySubject({ id, backend, label, description, main, extraNodeArgs, env }) {
  return {
    id,
    label,
    description,
    backend,
    main,
    built: existsSync(main),
    async start({ port, cert, key, min, max, tickets, upstreamPort, cpu, dir }) {
      const conf = join(dir, `${id}.yaml`);
      writeFileSync(conf, gatewayYaml({ port, cert, key, min, max, tickets, upstreamPort }));
      const p = startProcess(process.execPath, [...extraNodeArgs, main, '--config', conf], { cpu, env, name: id, cwd: dir });
      await p.waitFor(/listening/, 30_000);
      await waitPort(port);
      return p;
    },
  };
}
