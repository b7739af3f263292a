#!/usr/bin/env node
// In-process engine benchmark (no sockets): CPU per server handshake and bulk throughput for
// each crypto provider. Usage: node bench/engine-bench.mjs <cert.pem> <key.pem> [ca.pem]
// (build first: npx tsc -b). CPU time is what matters on shared machines; wall time is printed too.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { TlsSettings } from '@proxy/core';
import {
  compileClientConfig, compileServerConfig, newClientEngine, newServerEngine, nodeCryptoProvider, pureCryptoProvider,
} from '../dist/index.js';

const [certPath, keyPath, caPath] = process.argv.slice(2);
if (!certPath || !keyPath) {
  console.error('usage: node bench/engine-bench.mjs <cert.pem> <key.pem> [ca.pem]');
  process.exit(2);
}
const caPem = caPath ? readFileSync(caPath, 'utf8') : undefined;

function clientOptions() {
  return {
    verifyCert: !!caPem, verifyHostname: false, ca: caPem ? [new X509Certificate(caPem)] : undefined, caPem,
    alternativeCn: undefined, alpn: undefined, clientCertKey: undefined, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3',
    keylog: undefined, handshakeTimeoutMs: 10_000,
  };
}

// One untimed handshake pair per (provider, suite) first, then warm-up rounds: the first
// handshakes pay one-off costs (JIT compilation, @noble's lazily built fixed-base tables, about
// 0.2-0.3 s of CPU for the pure provider) that would otherwise be charged to whichever line runs
// first. The one-off cost is printed separately.
function handshake(client, server) {
  const c = newClientEngine(client);
  const s = newServerEngine(server);
  c.start();
  s.receive(c.pullOutput());
  c.receive(s.pullOutput());
  s.receive(c.pullOutput());
  return { c, s };
}

const SUITES = ['TLS_AES_128_GCM_SHA256', 'TLS_CHACHA20_POLY1305_SHA256'];
for (const provider of [pureCryptoProvider, nodeCryptoProvider]) {
  const configs = SUITES.map((suite) => {
    const settings = TlsSettings.intermediate(certPath, keyPath).setSessionTickets(false);
    Object.assign(settings, { tls13Suites: [suite] });
    return [compileServerConfig(settings, provider), compileClientConfig(clientOptions(), { sni: 'localhost', addr: 'bench:443' }, undefined, provider)];
  });
  const t1 = process.cpuUsage();
  for (const [server, client] of configs) handshake(client, server);
  const d1 = process.cpuUsage(t1);
  // 60 rounds: with 20, whichever suite was timed first still ran ~0.5 ms slower (optimizing JIT tiers).
  for (let i = 0; i < 60; i++) for (const [server, client] of configs) handshake(client, server);
  console.log(`${provider.name.padEnd(5)} first handshake of each suite (both sides, one-off costs included) ${((d1.user + d1.system) / 1000).toFixed(1)} ms CPU`);
  for (const suite of SUITES) {
    const settings = TlsSettings.intermediate(certPath, keyPath).setSessionTickets(false);
    Object.assign(settings, { tls13Suites: [suite] });
    const server = compileServerConfig(settings, provider);
    const client = compileClientConfig(clientOptions(), { sni: 'localhost', addr: 'bench:443' }, undefined, provider);
    const n = provider === pureCryptoProvider ? 100 : 400;
    let serverCpu = 0;
    let c;
    let s;
    const wall = performance.now();
    for (let i = 0; i < n; i++) {
      c = newClientEngine(client);
      s = newServerEngine(server);
      c.start();
      const hello = c.pullOutput();
      let t = process.cpuUsage();
      s.receive(hello);
      const flight = s.pullOutput();
      let d = process.cpuUsage(t);
      serverCpu += d.user + d.system;
      c.receive(flight);
      const fin = c.pullOutput();
      t = process.cpuUsage();
      s.receive(fin);
      d = process.cpuUsage(t);
      serverCpu += d.user + d.system;
    }
    const hsWall = (performance.now() - wall) / n;
    const chunk = new Uint8Array(1 << 20);
    const rounds = provider === pureCryptoProvider ? 32 : 256;
    const t0 = process.cpuUsage();
    for (let i = 0; i < rounds; i++) {
      s.send(chunk);
      c.receive(s.pullOutput());
      while (c.pullPlaintext());
    }
    const d0 = process.cpuUsage(t0);
    const mbPerCpuSecond = (rounds * chunk.length) / 1e6 / ((d0.user + d0.system) / 1e6);
    console.log(`${provider.name.padEnd(5)} ${suite.padEnd(29)} server handshake ${(serverCpu / n / 1000).toFixed(2)} ms CPU `
      + `(${(1000 / (serverCpu / n / 1000)).toFixed(0)}/CPU-s; both sides ${hsWall.toFixed(2)} ms wall) `
      + `bulk seal+open ${mbPerCpuSecond.toFixed(0)} MB per CPU-second`);
  }
}
