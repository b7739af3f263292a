#!/usr/bin/env node
// The demo TLS gateway on the OpenSSL backend. The same gateway on another backend is this file
// with a different import (see apps/gateway-pure).
import '@proxy/tls-openssl';
import { runGateway } from '@proxy/gateway';

runGateway(process.argv.slice(2)).catch((err: unknown) => {
  const e = err as Error & { code?: string };
  process.stderr.write(`gateway: ${e.code ? `[${e.code}] ` : ''}${e.message}\n`);
  process.exit(1);
});
