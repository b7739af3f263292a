// In-memory engine figures (no sockets): handshake pairs per second and bulk MB/s, s2n engine
// against s2n engine. `node bench/engine-bench.mjs [pairs] [MiB]` after `pnpm build`.
import { X509Certificate } from 'node:crypto';
import { TlsSettings, tlsClientOptions } from '@proxy/core';
import { testPki } from '@proxy/testkit';
import { compileClient, compileServer, newServerEngine } from '../dist/index.js';

const pairs = Number(process.argv[2] ?? 2000);
const mib = Number(process.argv[3] ?? 256);
const pki = testPki();
const server = compileServer(TlsSettings.intermediate(pki.serverEcdsa.chain, pki.serverEcdsa.key).setSessionTickets(false));
const client = compileClient(tlsClientOptions({ ca: [new X509Certificate(pki.caPem)], caPem: pki.caPem }));
const target = { sni: 'localhost', addr: '127.0.0.1:443' };
const drain = (e) => {
  const out = [];
  for (let o = e.pullOutput(); o; o = e.pullOutput()) out.push(o);
  return out.length === 1 ? out[0] : Buffer.concat(out);
};

function pair() {
  const c = client.engine(target);
  const s = newServerEngine(server);
  c.start();
  s.receive(drain(c));
  c.receive(drain(s));
  s.receive(drain(c));
  if (!c.handshakeDone || !s.handshakeDone) throw new Error('no handshake');
  return [c, s];
}

for (let i = 0; i < 200; i++) pair().forEach((e) => e.destroy());
// CPU time, not wall time: the machine may be shared.
const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
let t = cpuUs();
for (let i = 0; i < pairs; i++) pair().forEach((e) => e.destroy());
const hsUs = (cpuUs() - t) / pairs;
console.log(`handshake pair (ECDSA P-256, TLS 1.3): ${hsUs.toFixed(0)} CPU-µs`);

const [c, s] = pair();
const chunk = Buffer.alloc(64 * 1024, 7);
t = cpuUs();
let got = 0;
for (let i = 0; i < mib * 16; i++) {
  c.send(chunk);
  s.receive(drain(c));
  for (let p = s.pullPlaintext(); p; p = s.pullPlaintext()) got += p.length;
}
const secs = (cpuUs() - t) / 1e6;
console.log(`bulk (${c.digest().cipher}): ${(got / 1e6 / secs).toFixed(0)} MB/CPU-s`);
