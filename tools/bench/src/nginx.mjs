// nginx configs: the origin (plain HTTP, fixed bodies) and the C baseline proxy (one worker).
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startProcess } from './proc.mjs';

export const NGINX = process.env.NGINX ?? '/usr/sbin/nginx';
const asRoot = process.getuid?.() === 0;

function frame(dir, { cpuMask, body }) {
  mkdirSync(dir, { recursive: true });
  return `
${asRoot ? 'user root;' : ''}
daemon off;
master_process on;
worker_processes 1;
${cpuMask ? `worker_cpu_affinity ${cpuMask};` : ''}
worker_rlimit_nofile 20000;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 8192; multi_accept on; }
http {
  access_log off;
  client_body_temp_path ${join(dir, 'body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
  keepalive_requests 10000000;
  keepalive_timeout 300s;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
${body}
}
`;
}

/** Origin: 100 bytes at /, 1 MiB at /1m, plain HTTP/1.1 keep-alive. */
export async function startOrigin(dir, port, cpu) {
  mkdirSync(join(dir, 'www'), { recursive: true });
  writeFileSync(join(dir, 'www', 'small'), Buffer.alloc(100, 'a'));
  writeFileSync(join(dir, 'www', '1m'), Buffer.alloc(1 << 20, 'b'));
  const conf = frame(dir, {
    cpuMask: undefined,
    body: `
  server {
    listen 127.0.0.1:${port} reuseport backlog=4096;
    root ${join(dir, 'www')};
    default_type text/plain;
    location = /1m { try_files /1m =404; }
    location / { try_files /small =404; }
  }`,
  });
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const p = startProcess(NGINX, ['-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], { cpu, name: 'origin' });
  return p;
}

/** The C baseline: nginx, one worker, TLS + h2, proxy_pass to the origin with a keep-alive upstream pool. */
export function nginxProxyConf(dir, { port, cert, key, min, max, tickets, upstreamPort, cpuMask }) {
  const protocols = ['TLSv1.2', 'TLSv1.3'].filter((v) => v >= min && v <= max).join(' ');
  return frame(dir, {
    cpuMask,
    body: `
  upstream origin {
    server 127.0.0.1:${upstreamPort};
    keepalive 256;
    keepalive_requests 10000000;
  }
  server {
    listen 127.0.0.1:${port} ssl http2 backlog=4096;
    ssl_certificate ${cert};
    ssl_certificate_key ${key};
    ssl_protocols ${protocols};
    ssl_session_tickets ${tickets ? 'on' : 'off'};
    ssl_session_cache ${tickets ? 'shared:SSL:10m' : 'off'};
    http2_max_concurrent_streams 256;
    location / {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering on;
      proxy_max_temp_file_size 0;
    }
  }`,
  });
}
