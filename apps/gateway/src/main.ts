#!/usr/bin/env node
// The demo TLS gateway on the OpenSSL backend. The same gateway on another backend is this file
// with a different import (see apps/gateway-pure).
import '@proxy/tls-openssl';
import { runGateway } from '@proxy/gateway';

runGateway(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`gateway: ${(err as Error).message}\n`);
  process.exit(1);
});
