#!/usr/bin/env node
// Checks that the rate client is free of coordinated omission, against a real TLS server (a
// separate Node process, HTTP/1.1 and h2) that blocks its event loop for STALL ms every PERIOD ms.
// At a constant rate, STALL/PERIOD of the requests arrive during a stall and wait for its end, so
// their latencies spread evenly over 0..STALL ms: with 200 ms every 1,000 ms (20 %), p90 is about
// 100 ms and p99 about 190 ms. A client timing from the actual send would miss most of the
// requests due during a stall. The stall is long so that the check holds on a loaded machine,
// where everything else costs tens of ms.
// usage: node tools/bench/src/loads/rate-selftest.mjs      (about 15 s; exit code 1 on failure)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeCerts } from '../certs.mjs';
import { startProcess, killAll, waitPort } from '../proc.mjs';

const STALL = Number(process.env.STALL ?? 200);
const PERIOD = 1000;
const RATE = Number(process.env.RATE ?? 200); // low enough for a loaded machine: the expected percentiles do not depend on it
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
  // few request slots (4 connections, or one h2 connection with 4 streams), so that most requests
  // due during a stall have to wait for a slot: the case a client timing from the send gets wrong
  for (const [mode, conns, maxStreams] of [['h1', 4, 1], ['h2', 1, 4]]) {
    const c = startProcess(process.execPath, [CLIENT, JSON.stringify({ port: PORT, mode, conns, maxStreams, rate: RATE, seconds: 6, autostart: true })], { name: `client ${mode}` });
    await c.exited;
    const line = c.output().split('\n').find((l) => l.startsWith('result '));
    if (!line) throw new Error(`no result from the client:\n${c.output()}`);
    const r = JSON.parse(line.slice(7));
    // the stalled share f = STALL/PERIOD of requests waits uniformly 0..STALL: quantile q > 1-f is STALL*(1-(1-q)/f)
    const f = STALL / PERIOD;
    const expectP99 = STALL * (1 - 0.01 / f);
    const expectP90 = STALL * (1 - 0.1 / f);
    // The lower bounds are the test: a client that timed from the actual send would put p90 near
    // the unstalled latency (only 4 of the 40 requests due in a stall are on the wire when it
    // starts). The upper bounds are loose: on a loaded machine the server also needs time to work
    // off the backlog a stall leaves.
    const ok = r.errors === 0 && r.unfinished === 0 && r.p90ms > 0.6 * expectP90 && r.p90ms < 2.5 * expectP90
      && r.p99ms > 0.75 * expectP99 && r.p99ms < 2.5 * expectP99
      // and the same answers timed from the send must show far less: the test can tell the two apart
      && r.sendP90ms < 0.5 * r.p90ms;
    if (!ok) failures++;
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${mode}: ${r.ok} answered at ${r.achievedRps.toFixed(0)} req/s; p50 ${r.p50ms.toFixed(2)} p90 ${r.p90ms.toFixed(2)} (expected about ${expectP90.toFixed(0)}) p99 ${r.p99ms.toFixed(2)} (expected about ${expectP99.toFixed(0)}) p99.9 ${r.p999ms.toFixed(2)} max ${r.maxms.toFixed(1)} ms (timed from the send instead: p90 ${r.sendP90ms.toFixed(2)} p99 ${r.sendP99ms.toFixed(2)}); client lag p99 ${r.clientLagP99ms.toFixed(3)} ms, ${r.clientCpuUsPerReq.toFixed(1)} client CPU-us/req; ${r.errors} errors`);
  }
  await srv.stop();
} finally {
  killAll();
  rmSync(tmp, { recursive: true, force: true });
}
process.exit(failures ? 1 : 0);
