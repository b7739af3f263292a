// Constant-rate load client (wrk2-style, free of coordinated omission) for the latency and
// many-connections figures. Opens `conns` TLS connections (HTTP/1.1 keep-alive or h2), makes one
// untimed request on each, prints "connected OK FAILED", then waits for SIGUSR2 (or starts at
// once with autostart). The load: request i is due at t0 + i/rate; its latency is measured from
// that intended time to the end of its response, so a stalled subject is charged for every
// request that should have gone out meanwhile, including those that had to wait for a free
// connection. Prints "result {json}" and exits.
//
// usage: node rate-client.mjs '{"port":20010,"mode":"h1","conns":32,"rate":2000,"seconds":4}'
import { Worker } from 'node:worker_threads';
import { connectH1 } from './rate-h1.mjs';
import { connectH2 } from './rate-h2.mjs';

const o = {
  mode: 'h1',
  conns: 32,
  rate: 2000,
  seconds: 4,
  drainMs: 3000, // after the last request is due, how long to wait for the outstanding ones
  parallel: 50, // connections opened at once during setup
  maxStreams: 100, // h2: at most this many streams in flight per connection
  path: '/',
  clock: 'worker', // 'worker': rate-ticker.mjs (sub-ms, costs a wake-up per tick); 'timer': Node's whole-ms timers
  tickMs: 0.25, // worker clock: shortest tick (due requests also go out after every response)
  autostart: false,
  ...JSON.parse(process.argv[2] ?? '{}'),
};

const conns = [];
let loading = false;
let free = 0; // request slots on live connections not in use (during the load)
let rr = 0;
const pending = { q: [], head: 0, get size() { return this.q.length - this.head; } };
const stats = { ok: 0, errors: 0, queued: 0, reasons: {}, dead: 0 };
let lat; // Float64Array of latencies in ms, in completion order
let nLat = 0;
let fromSend; // the same answers timed from the actual send (what a closed-loop tool reports), for comparison
let nSend = 0;
let dispatchLag; // ms between a request's intended time and the client noticing it is due
let nLag = 0;
let lastDone = 0;
let onAllDone = () => {};
let outstanding = 0;
let pump = () => {}; // sends the requests that are due (set during the load)

function reason(why) {
  const k = String(why).slice(0, 80);
  stats.reasons[k] = (stats.reasons[k] ?? 0) + 1;
}

const events = {
  done(conn, req, ok, why) {
    if (req.setup) { req.resolve(ok ? undefined : why); return; }
    const now = performance.now();
    free++;
    outstanding--;
    lastDone = now;
    if (ok) {
      stats.ok++;
      lat[nLat++] = now - req.intended;
      fromSend[nSend++] = now - req.sentAt;
    } else {
      stats.errors++;
      reason(why);
    }
    if (conn.alive && pending.size) {
      const next = pending.q[pending.head++];
      if (pending.head > 4096 && pending.head * 2 > pending.q.length) { pending.q = pending.q.slice(pending.head); pending.head = 0; }
      free--;
      conn.send(next);
    }
    if (outstanding === 0) onAllDone();
    pump();
  },
  dead(conn, why) {
    stats.dead++;
    reason(`connection: ${why}`);
    if (loading) free -= conn.capacity;
  },
};

function dispatch(req) {
  if (free > 0) {
    for (let n = 0; n < conns.length; n++) {
      const c = conns[rr];
      rr = rr + 1 === conns.length ? 0 : rr + 1;
      if (c.alive && c.inflight < c.capacity) {
        free--;
        c.send(req);
        return;
      }
    }
  }
  stats.queued++;
  pending.q.push(req);
}

async function openOne() {
  const connect = o.mode === 'h2' ? connectH2 : connectH1;
  const c = await connect({ port: o.port, path: o.path, maxStreams: o.maxStreams }, events);
  // one untimed request: the connection is known to work, and the subject has set it up fully
  const why = await new Promise((resolve) => c.send({ setup: true, resolve }));
  if (why) { c.close(); throw new Error(why); }
  conns.push(c);
}

async function setup() {
  let started = 0;
  let failed = 0;
  const errors = {};
  const worker = async () => {
    while (started < o.conns) {
      started++;
      try {
        await openOne();
      } catch (e) {
        failed++;
        const k = String(e.message ?? e).slice(0, 80);
        errors[k] = (errors[k] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.parallel, o.conns) }, worker));
  return { failed, errors };
}

function quantile(sorted, n, q) {
  if (!n) return NaN;
  return sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))];
}

async function load() {
  const total = Math.round(o.rate * o.seconds);
  lat = new Float64Array(total);
  fromSend = new Float64Array(total);
  dispatchLag = new Float64Array(total);
  const spacing = 1000 / o.rate;
  loading = true;
  free = conns.filter((c) => c.alive).reduce((a, c) => a + c.capacity - c.inflight, 0);
  const cpu0 = process.cpuUsage();
  let t0 = Infinity; // set when the clock runs (a worker takes tens of ms to start)
  let i = 0;
  let scheduled;
  const allScheduled = new Promise((resolve) => { scheduled = resolve; });
  // sends every request that is due; runs on every clock tick and after every response
  pump = () => {
    const now = performance.now();
    if (t0 === Infinity) t0 = now;
    while (i < total && t0 + i * spacing <= now) {
      const intended = t0 + i * spacing;
      dispatchLag[nLag++] = now - intended;
      outstanding++;
      dispatch({ intended, sentAt: 0 });
      i++;
    }
    if (i >= total) { pump = () => {}; scheduled(); }
  };
  let stopClock;
  if (o.clock === 'worker') {
    const stop = new SharedArrayBuffer(4);
    const ticker = new Worker(new URL('./rate-ticker.mjs', import.meta.url), { workerData: { periodMs: Math.max(o.tickMs, spacing), stop } });
    ticker.on('message', () => pump());
    ticker.on('error', (e) => { console.error(`rate-client: clock worker failed: ${e.stack ?? e}`); process.exit(2); });
    stopClock = async () => { Atomics.store(new Int32Array(stop), 0, 1); await ticker.terminate(); };
  } else {
    // Node's timers: whole milliseconds; between responses the due requests go out after the
    // next response instead (pump() runs after each one), so the lag is below 1 ms under load
    let timer;
    const tick = () => {
      pump();
      if (i < total) timer = setTimeout(tick, Math.max(0, t0 + i * spacing - performance.now()));
    };
    timer = setTimeout(tick, 0);
    stopClock = async () => clearTimeout(timer);
  }
  await allScheduled;
  const scheduleEnd = performance.now();
  if (outstanding > 0) {
    await new Promise((resolve) => {
      onAllDone = resolve;
      setTimeout(resolve, o.drainMs);
    });
  }
  const end = performance.now();
  await stopClock();
  const cpu = process.cpuUsage(cpu0);
  // requests never answered count at the time the wait ended (a lower bound of their latency)
  const unfinished = outstanding;
  for (let k = pending.head; k < pending.q.length; k++) lat[nLat++] = end - pending.q[k].intended;
  for (const c of conns) for (const req of c.inFlight()) if (!req.setup) lat[nLat++] = end - req.intended;
  const sorted = lat.subarray(0, nLat).sort();
  const lagSorted = dispatchLag.subarray(0, nLag).sort();
  const sendSorted = fromSend.subarray(0, nSend).sort();
  const conn = conns.filter((c) => c.alive).length;
  const ms = (x) => Number(x.toFixed(4));
  return {
    mode: o.mode,
    rate: o.rate,
    seconds: o.seconds,
    conns: o.conns,
    connsAlive: conn,
    requests: total,
    ok: stats.ok,
    errors: stats.errors,
    unfinished,
    queued: stats.queued,
    deadConns: stats.dead,
    reasons: stats.reasons,
    statusUnchecked: conns.reduce((a, c) => a + (c.statusUnchecked ?? 0), 0),
    // achieved rate: answered requests over the time from the first due request to the last answer
    achievedRps: stats.ok / ((Math.max(lastDone, scheduleEnd) - t0) / 1000),
    p50ms: ms(quantile(sorted, nLat, 0.5)),
    p90ms: ms(quantile(sorted, nLat, 0.9)),
    p99ms: ms(quantile(sorted, nLat, 0.99)),
    p999ms: ms(quantile(sorted, nLat, 0.999)),
    maxms: ms(sorted[nLat - 1] ?? NaN),
    meanms: ms(sorted.reduce((a, b) => a + b, 0) / nLat),
    // answered requests timed from their actual send instead: hides the waits for a free connection
    sendP50ms: ms(quantile(sendSorted, nSend, 0.5)),
    sendP90ms: ms(quantile(sendSorted, nSend, 0.9)),
    sendP99ms: ms(quantile(sendSorted, nSend, 0.99)),
    // the client's own health: how late it noticed due requests, and its CPU per request
    clientLagP50ms: ms(quantile(lagSorted, nLag, 0.5)),
    clientLagP99ms: ms(quantile(lagSorted, nLag, 0.99)),
    clientLagMaxms: ms(lagSorted[nLag - 1] ?? NaN),
    clientCpuUsPerReq: (cpu.user + cpu.system) / Math.max(1, stats.ok + stats.errors),
  };
}

const { failed, errors } = await setup();
console.log(`connected ${conns.length} ${failed}${failed ? ` ${JSON.stringify(errors)}` : ''}`);
if (!conns.length) process.exit(1);
if (!o.autostart) await new Promise((resolve) => process.once('SIGUSR2', resolve));
const r = await load();
r.connectFailed = failed;
console.log(`result ${JSON.stringify(r)}`);
for (const c of conns) c.close();
process.exit(0);
