#!/usr/bin/env node
// Checks that the rate client is free of coordinated omission, against a real TLS server (a
// separate Node process, HTTP/1.1 and h2) that blocks its event loop for STALL ms every PERIOD ms.
// At a constant rate, STALL/PERIOD of the requests arrive during a stall and wait for its end, so
// their latencies spread evenly over 0..STALL ms: with 50 ms every 500 ms (10 %), p99 is about
// 45 ms and p90 near the unstalled latency. A closed-loop client (wrk, h2load) sends almost
// nothing during a stall and reports a p99 of a few ms for the same server.
// usage: node tools/bench/src/loads/rate-selftest.mjs      (about 15 s; exit code 1 on failure)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeCerts } from '../certs.mjs';
import { startProcess, killAll, waitPort } from '../proc.mjs';

const STALL = Number(process.env.STALL ?? 50);
const PERIOD = 500;
const PORT = Number(process.env.PORT ?? 20090);
const CLIENT = fileURLToPath(new URL('./rate-client.mjs', import.meta.url));

const server = `
import http2 from 'node:http2';
import { readFileSync } from 'node:fs';
const body = Buffer.alloc(100, 'a');
const s = http2.createSecureServer({ cert: readFileSync(process.argv[1]), key: readFileSync(process.argv[2]), allowHTTP1: true },
  (req, res) => { res.writeHead(200, { 'content-length': body.length }); res.end(body); });
s.listen(${PORT}, '127.0.0.1', () => console.log('listening'));
if (${STALL} > 0) setInterval(() => { const t = performance.now(); while (performance.now() - t < ${STALL}); }, ${PERIOD});
`;

const tmp = mkdtempSync(join(tmpdir(), 'rate-selftest-'));
let failures = 0;
try {
  const certs = makeCerts(tmp);
  const srv = startProcess(process.execPath, ['--input-type=module', '-e', server, certs.ecdsa.cert, certs.ecdsa.key], { name: 'stall-server' });
  await srv.waitFor(/listening/);
  await waitPort(PORT);
  for (const [mode, conns] of [['h1', 32], ['h2', 4]]) {
    const c = startProcess(process.execPath, [CLIENT, JSON.stringify({ port: PORT, mode, conns, rate: 2000, seconds: 5, autostart: true })], { name: `client ${mode}` });
    await c.exited;
    const line = c.output().split('\n').find((l) => l.startsWith('result '));
    if (!line) throw new Error(`no result from the client:\n${c.output()}`);
    const r = JSON.parse(line.slice(7));
    const expectP99 = STALL * (1 - 0.01 / (STALL / PERIOD));
    const ok = r.errors === 0 && r.unfinished === 0 && r.p99ms > expectP99 * 0.75 && r.p99ms < STALL * 1.25 && r.p90ms < STALL * 0.25;
    if (!ok) failures++;
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${mode}: ${r.ok} answered at ${r.achievedRps.toFixed(0)} req/s; p50 ${r.p50ms.toFixed(2)} p90 ${r.p90ms.toFixed(2)} p99 ${r.p99ms.toFixed(2)} (expected about ${expectP99.toFixed(0)}) p99.9 ${r.p999ms.toFixed(2)} max ${r.maxms.toFixed(1)} ms; client lag p99 ${r.clientLagP99ms.toFixed(3)} ms, ${r.clientCpuUsPerReq.toFixed(1)} client CPU-us/req; ${r.errors} errors`);
  }
  await srv.stop();
} finally {
  killAll();
  rmSync(tmp, { recursive: true, force: true });
}
process.exit(failures ? 1 : 0);
