// nginx as the C baseline proxy: one worker pinned to the subject core.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NGINX, nginxProxyConf } from '../nginx.mjs';
import { startProcess, waitPort } from '../proc.mjs';

export const nginxProxy = {
  id: 'nginx',
  label: 'nginx 1 worker',
  description: 'nginx, worker_processes 1, TLS + http2, proxy_pass with keep-alive upstream',
  async start({ port, cert, key, min, max, tickets, upstreamPort, cpu, dir }) {
    const mask = (1n << BigInt(cpu)).toString(2);
    writeFileSync(join(dir, 'nginx.conf'),
      nginxProxyConf(dir, { port, cert, key, min, max, tickets, upstreamPort, cpuMask: mask }));
    const p = startProcess(NGINX, ['-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], { cpu, name: 'nginx' });
    await waitPort(port);
    return p;
  },
};
