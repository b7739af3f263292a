#!/usr/bin/env node
// The demo TLS gateway on the s2n-tls backend: apps/gateway with another import.
import '@proxy/tls-s2n';
import { runGateway } from '@proxy/gateway';

runGateway(process.argv.slice(2)).catch((err: unknown) => {
  const e = err as Error & { code?: string };
  process.stderr.write(`gateway: ${e.code ? `[${e.code}] ` : ''}${e.message}\n`);
  process.exit(1);
});
