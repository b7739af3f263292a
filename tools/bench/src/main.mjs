#!/usr/bin/env node
// @proxy/bench: one command that measures the gateway on each installed backend side by side
// with plain Node and nginx, on loopback, subject pinned to one core, load + origin on the other.
// Usage: node tools/bench/src/main.mjs [--quick] [--subjects a,b] [--figures x,y] [--runs N]
import { parseArgs } from 'node:util';
import { mkdtempSync, mkdirSync, rmSync, existsSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { startOrigin, NGINX } from './nginx.mjs';
import { makeCerts } from './certs.mjs';
import { killAll, median, sleep, waitPort } from './proc.mjs';
import { discoverGateways } from './subjects/gateway.mjs';
import { nodeBaselines } from './subjects/node.mjs';
import { nginxProxy } from './subjects/nginx.mjs';
import { buildFigures, GW } from './figures.mjs';
import { keepAlive } from './loads/wrk.mjs';
import { h2 } from './loads/h2load.mjs';
import { handshakes } from './loads/handshake.mjs';
import { bulk } from './loads/bulk.mjs';
import { idleRss } from './loads/idle-rss.mjs';
import { rateLoad } from './loads/rate.mjs';
import { writeReport, printTable, environment } from './report.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const BENCH = resolve(HERE, '..');
const REPO = resolve(BENCH, '..', '..');

const { values: opt } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    runs: { type: 'string' },
    duration: { type: 'string' },
    subjects: { type: 'string' },
    figures: { type: 'string' },
    'hs-count': { type: 'string' },
    'idle-conns': { type: 'string' },
    'lat-rates': { type: 'string' },
    'many-conns': { type: 'string' },
    'many-rate': { type: 'string' },
    'rate-clock': { type: 'string', default: 'worker' },
    'port-base': { type: 'string', default: '20000' },
    'subject-cpu': { type: 'string', default: '0' },
    'load-cpu': { type: 'string', default: '1' },
    out: { type: 'string', default: join(BENCH, 'results') },
    'no-setup': { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false },
    list: { type: 'boolean', default: false },
    'gateway-main': { type: 'string', multiple: true },
    'node-args': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (opt.help) {
  console.log(`usage: pnpm --filter @proxy/bench bench [-- flags]   or   node tools/bench/src/main.mjs [flags]
  --quick              1 run per figure, 2 s loads, no TLS 1.2 handshake figures (about 6 minutes)
  --runs N             runs per figure and subject, median reported (default 3; RSS 2)
  --duration S         seconds per wrk/h2load/bulk run (default 4; bulk 3)
  --subjects a,b       subject ids (default all): gw-openssl, gw-pure, ..., node-proxy, node-h2-proxy,
                       node-server, nginx; "gateways" = every built gateway
  --figures x,y        figure ids or prefixes (default all): ka, h2, lat (= lat-ka-R, lat-h2-R for each
                       rate R), many (= many-ka, many-h2), hs (= hs-ecdsa-tls13, hs-ecdsa-tls12,
                       hs-rsa-tls13, hs-rsa-tls12), bulk (= bulk-aes, bulk-chacha), rss
  --lat-rates R,S      offered loads of the latency figures in req/s (default 2000,4000)
  --many-conns N       connections of the many-connections figures (default 2000)
  --many-rate R        their total offered load in req/s (default 2000)
  --rate-clock C       the constant-rate client's clock: worker (sub-ms, default) or timer (Node's 1 ms timers, cheaper)
  --hs-count N         at most N connections per handshake run (default 1500; --quick 600);
                       each run is sized from the warm-up's rate to last about 2.5 s
  --idle-conns N       idle TLS connections for the RSS figure (default 1000; --quick 500)
  --port-base P        first port (default 20000; origin at P, subjects at P+10..)
  --subject-cpu C      core for the subject (default 0); --load-cpu C for load + origin (default 1)
  --gateway-main B=F  run file F as the gateway on backend B (e.g. openssl=/tmp/main.js), repeatable
  --node-args="..."    extra node flags for the gateway and Node baseline processes (e.g. --node-args="--cpu-prof --cpu-prof-dir=/tmp/prof")
                       PROXY_BENCH_SUBJECT_LOG=FILE appends what each process printed to FILE (--node-args=--trace-gc)
  --out DIR            results directory (default tools/bench/results)
  --no-write           print the table only; --no-setup skips setup.sh; --list lists subjects/figures`);
  process.exit(0);
}

const quick = opt.quick;
const cfg = {
  runs: Number(opt.runs ?? (quick ? 1 : 3)),
  rssRuns: Number(opt.runs ?? (quick ? 1 : 2)), // RSS barely moves between runs and costs ~15 s per run
  seconds: Number(opt.duration ?? (quick ? 2 : 4)),
  bulkSeconds: Number(opt.duration ?? (quick ? 2 : 3)),
  warmSeconds: quick ? 2 : 3, // JIT warm-up of the Node subjects before each figure's runs
  warmSecondsRequests: quick ? 2 : 5, // keep-alive and h2: the Node subjects settle later
  hsCount: Number(opt['hs-count'] ?? (quick ? 600 : 1500)), // upper bound per handshake run
  hsSeconds: quick ? 1.5 : 2.5, // target length of a handshake run (count from the warm-up's rate)
  hsWarmSeconds: quick ? 1.5 : 3, // Node subjects' per-handshake cost keeps falling for ~1,000s of connections
  idleConns: Number(opt['idle-conns'] ?? (quick ? 500 : 1000)),
  latRates: (opt['lat-rates'] ?? '2000,4000').split(',').map(Number),
  manyConns: Number(opt['many-conns'] ?? 2000),
  manyRate: Number(opt['many-rate'] ?? 2000),
  rateClock: opt['rate-clock'],
  rateWarmSeconds: quick ? 1 : 2, // constant-rate figures: warm-up load (the throughput figures warm up more)
  portBase: Number(opt['port-base']),
  subjectCpu: Number(opt['subject-cpu']),
  loadCpu: Number(opt['load-cpu']),
  quick,
};

// ---- subjects and figures ---------------------------------------------------------------
// --node-args="--cpu-prof --cpu-prof-dir=/tmp/prof": extra node flags for the gateway and baseline processes
const extraNodeArgs = opt['node-args'] ? opt['node-args'].split(' ').filter(Boolean) : [];
const gateways = discoverGateways(REPO, {
  // --gateway-main openssl=/path/main.js: run that file as gw-openssl instead of apps/gateway/dist/main.js
  overrides: Object.fromEntries((opt['gateway-main'] ?? []).map((x) => x.split('='))),
  extraNodeArgs,
});
for (const g of gateways.filter((g) => !g.built))
  console.warn(`! ${g.id}: ${g.main} not built (pnpm --filter ./apps/${g.main.split('/').at(-3)} build); skipped`);
const builtGateways = gateways.filter((g) => g.built);
const allSubjects = [...builtGateways, ...nodeBaselines({ extraNodeArgs }), nginxProxy];
const gwIds = builtGateways.map((g) => g.id);

let chosen = allSubjects.map((s) => s.id);
if (opt.subjects) {
  const want = opt.subjects.split(',').flatMap((s) => (s === GW ? gwIds : [s]));
  for (const w of want) if (!allSubjects.some((s) => s.id === w)) throw new Error(`unknown subject ${w}; have ${chosen.join(', ')}`);
  chosen = want;
}
const FIGURES = buildFigures({ latRates: cfg.latRates, manyConns: cfg.manyConns, manyRate: cfg.manyRate });
let figures = FIGURES;
if (opt.figures) {
  const want = opt.figures.split(',');
  figures = FIGURES.filter((f) => want.some((w) => f.id === w || f.id.startsWith(`${w}-`)));
  if (!figures.length) throw new Error(`no figure matches ${opt.figures}`);
}
if (quick && !opt.figures) figures = figures.filter((f) => !['hs-ecdsa-tls12', 'hs-rsa-tls12'].includes(f.id));
const subjectsOf = (f) => f.subjects.flatMap((s) => (s === GW ? gwIds : [s])).filter((s) => chosen.includes(s));

if (opt.list) {
  for (const s of allSubjects) console.log(`subject ${s.id.padEnd(14)} ${s.description}`);
  for (const f of FIGURES) console.log(`figure  ${f.id.padEnd(15)} ${f.title}; baseline ${f.baseline}`);
  process.exit(0);
}

// ---- setup ------------------------------------------------------------------------------
if (!opt['no-setup']) {
  const need = ['wrk', 'h2load', 'openssl', 'taskset'].filter((t) => {
    try { execFileSync('sh', ['-c', `command -v ${t}`]); return false; } catch { return true; }
  });
  if (need.length || !existsSync(NGINX)) execFileSync('sh', [join(BENCH, 'setup.sh')], { stdio: 'inherit' });
}

const tmp = mkdtempSync(join(tmpdir(), 'proxy-bench-'));
const certs = makeCerts(tmp);
const originPort = cfg.portBase;
const log = (...a) => console.log(`[${new Date().toISOString().slice(11, 19)}]`, ...a);

const results = {}; // results[figureId][subjectId] = { runs: [...], median: {...} }

function subjectById(id) {
  return allSubjects.find((s) => s.id === id);
}

async function startSubject(id, phase, idx) {
  const s = subjectById(id);
  const dir = join(tmp, `${id}-${phase.cert}-${phase.min}-${phase.max}-${idx}`);
  mkdirSync(dir, { recursive: true });
  const port = cfg.portBase + 10 + idx;
  const handle = await s.start({
    port,
    cert: certs[phase.cert].cert,
    key: certs[phase.cert].key,
    min: phase.min,
    max: phase.max,
    tickets: phase.tickets,
    upstreamPort: originPort,
    cpu: cfg.subjectCpu,
    dir,
  });
  return { id, port, pid: handle.pid, handle };
}

async function measureOnce(fig, target, warm = false) {
  const base = { port: target.port, pid: target.pid, loadCpu: cfg.loadCpu };
  const secs = warm ? cfg.warmSecondsRequests : cfg.seconds;
  switch (fig.kind) {
    case 'ka': return keepAlive({ ...base, seconds: secs });
    case 'h2': return h2({ ...base, seconds: secs });
    case 'hs': {
      // slow subjects (e.g. a TypeScript TLS stack doing RSA) would take minutes for a fixed count:
      // size each run from the warm-up's rate so that it lasts about cfg.hsSeconds
      if (warm) {
        // a probe gives the rate; then warm up for about 3 s more (a Node subject's cost per
        // connection keeps falling over the first thousand or so connections)
        const probe = await handshakes({ ...base, count: 60 });
        const r = await handshakes({ ...base, count: Math.max(60, Math.min(cfg.quick ? 600 : 2000, Math.round(probe.hsPerSec * cfg.hsWarmSeconds))) });
        target.hsCount = Math.max(100, Math.min(cfg.hsCount, Math.round(r.hsPerSec * cfg.hsSeconds)));
        return r;
      }
      return handshakes({ ...base, count: target.hsCount ?? cfg.hsCount });
    }
    case 'bulk': return bulk({ ...base, seconds: warm ? cfg.warmSeconds : cfg.bulkSeconds, cipher: fig.cipher });
    case 'rss': return idleRss({ ...base, conns: cfg.idleConns });
    case 'lat':
    case 'many':
      return rateLoad({ ...base, mode: fig.mode, conns: fig.conns, rate: fig.rate, clock: cfg.rateClock, seconds: warm ? cfg.rateWarmSeconds : cfg.seconds });
    default: throw new Error(fig.kind);
  }
}

function record(fig, id, r) {
  r.at = new Date().toISOString();
  r.loadavg1 = Number(os.loadavg()[0].toFixed(2)); // other tenants' load while the run ended
  results[fig.id] ??= {};
  results[fig.id][id] ??= { runs: [] };
  results[fig.id][id].runs.push(r);
}

function brief(fig, r) {
  if (r.error) return `ERROR ${r.error.split('\n')[0]}`;
  switch (fig.kind) {
    case 'ka': return `${r.rps.toFixed(0)} req/s p99 ${r.p99ms.toFixed(2)} ms, ${r.cpuUsPerReq.toFixed(1)} CPU-us/req${r.errors ? `, ${r.errors} errors` : ''}`;
    case 'h2': return `${r.rps.toFixed(0)} req/s, ${r.cpuUsPerReq.toFixed(1)} CPU-us/req${r.errors ? `, ${r.errors} errors` : ''}`;
    case 'hs': return `${r.hsPerSec.toFixed(0)} hs/s, ${r.cpuUsPerHs.toFixed(0)} CPU-us/hs (${r.protocol} ${r.cipher})${r.errors ? `, ${r.errors} errors` : ''}`;
    case 'bulk': return `${r.mbps.toFixed(0)} MB/s, ${r.perCpuSec.toFixed(0)} MB/CPU-s (${r.cipher})`;
    case 'lat': return `${r.achievedRps.toFixed(0)} of ${r.rate} req/s, p50 ${r.p50ms.toFixed(2)} p99 ${r.p99ms.toFixed(2)} p99.9 ${r.p999ms.toFixed(2)} max ${r.maxms.toFixed(1)} ms, ${r.cpuUsPerReq.toFixed(1)} CPU-us/req (client lag p99 ${r.clientLagP99ms.toFixed(2)} ms, ${r.clientCpuUsPerReq.toFixed(0)} client CPU-us/req)${rateErrors(r)}`;
    case 'many': return `${r.open} conns, ${r.achievedRps.toFixed(0)} of ${r.rate} req/s, ${r.cpuUsPerReq.toFixed(1)} CPU-us/req, RSS ${r.rssMiB.toFixed(1)} MiB (${r.perConnKiB.toFixed(1)} KiB/conn), p99 ${r.p99ms.toFixed(2)} ms (client lag p99 ${r.clientLagP99ms.toFixed(2)} ms)${rateErrors(r)}`;
    case 'rss': return `${r.beforeKiB} -> ${r.afterKiB} KiB, ${r.open} open (${r.stillOpen} still), ${r.perConnKiB.toFixed(1)} KiB/conn`;
    default: return JSON.stringify(r);
  }
}

function rateErrors(r) {
  const bad = r.errors + r.unfinished;
  return bad ? `, ${r.errors} errors, ${r.unfinished} unanswered ${JSON.stringify(r.reasons)}` : '';
}

async function guarded(fig, id, fn, handle) {
  try {
    const r = await fn();
    record(fig, id, r);
    log(`  ${fig.id} ${id}: ${brief(fig, r)}`);
  } catch (e) {
    const dead = handle && (handle.child.exitCode !== null || handle.child.signalCode !== null);
    const why = `${dead ? `subject exited (${handle.child.exitCode ?? handle.child.signalCode}); its output:\n${handle.output().slice(-1500)}\n` : ''}${String(e.message ?? e)}`;
    record(fig, id, { error: why });
    log(`  ${fig.id} ${id}: ERROR ${why.slice(-1500)}`);
  }
}

function startFailed(figs, id, e) {
  log(`  ${id} failed to start: ${String(e.message).slice(0, 800)}`);
  for (const f of figs) record(f, id, { error: `start: ${String(e.message).split('\n')[0]}` });
}

const phaseKey = (p) => JSON.stringify({ ...p, fresh: undefined });

async function runPhase(figs) {
  const phase = figs[0].phase;
  const ids = [...new Set(figs.flatMap(subjectsOf))];
  log(`phase ${phase.cert} ${phase.min}..${phase.max} tickets=${phase.tickets}: ${ids.join(', ')}`);
  const started = [];
  try {
    for (const id of ids) {
      try {
        started.push(await startSubject(id, phase, started.length));
      } catch (e) {
        startFailed(figs.filter((f) => subjectsOf(f).includes(id)), id, e);
      }
    }
    await sleep(300);
    for (const fig of figs) {
      const targets = started.filter((t) => subjectsOf(fig).includes(t.id));
      log(`${fig.id}: ${fig.title}`);
      for (const t of targets) {
        try { await measureOnce(fig, t, true); } catch (e) { log(`  warm-up ${t.id}: ${String(e.message).split('\n')[0]}`); }
      }
      for (let r = 0; r < cfg.runs; r++) {
        // rotate the order each round so no subject always runs first
        const order = targets.map((_, i) => targets[(i + r) % targets.length]);
        for (const t of order) await guarded(fig, t.id, () => measureOnce(fig, t), t.handle);
      }
    }
  } finally {
    for (const t of started) await t.handle.stop();
  }
}

async function runFreshPhase(fig) {
  // RSS: a fresh subject for every run, nothing else loaded into it before.
  const ids = subjectsOf(fig);
  log(`${fig.id}: ${fig.title}`);
  for (let r = 0; r < cfg.rssRuns; r++) {
    for (const id of ids) {
      let t;
      try {
        t = await startSubject(id, fig.phase, 0);
        await sleep(300);
        await guarded(fig, id, () => measureOnce(fig, t), t.handle);
      } catch (e) {
        startFailed([fig], id, e);
      } finally {
        await t?.handle.stop();
      }
    }
  }
}

// ---- run --------------------------------------------------------------------------------
const t0 = Date.now();
let origin;
let exitCode = 0;
try {
  log(`subjects: ${chosen.join(', ')}`);
  log(`figures: ${figures.map((f) => f.id).join(', ')}; ${cfg.runs} run(s) each, median`);
  log(`subject on CPU ${cfg.subjectCpu}; load generator + origin on CPU ${cfg.loadCpu}; temp ${tmp}`);
  origin = await startOrigin(join(tmp, 'origin'), originPort, cfg.loadCpu);
  await waitPort(originPort);

  const phases = new Map();
  for (const f of figures) {
    if (f.phase.fresh) continue;
    const k = phaseKey(f.phase);
    if (!phases.has(k)) phases.set(k, []);
    phases.get(k).push(f);
  }
  for (const figs of phases.values()) await runPhase(figs);
  for (const f of figures.filter((f) => f.phase.fresh)) await runFreshPhase(f);
} catch (e) {
  console.error(e);
  exitCode = 1;
} finally {
  await origin?.stop();
  killAll();
}

// medians
for (const f of figures) {
  for (const [id, r] of Object.entries(results[f.id] ?? {})) {
    const ok = r.runs.filter((x) => !x.error);
    r.median = {};
    if (!ok.length) { r.error = r.runs[0]?.error; continue; }
    for (const k of Object.keys(ok[0])) if (typeof ok[0][k] === 'number') r.median[k] = median(ok.map((x) => x[k]));
  }
}

const report = {
  tool: '@proxy/bench',
  startedAt: new Date(t0).toISOString(),
  elapsedSeconds: Math.round((Date.now() - t0) / 1000),
  config: cfg,
  environment: environment(REPO, gateways),
  subjects: Object.fromEntries(allSubjects.filter((s) => chosen.includes(s.id)).map((s) => [s.id, { label: s.label, description: s.description }])),
  figures: figures.map(({ id, title, kind, unit, perUnit, baseline, lowerIsBetter, phase, mode, rate, conns }) => ({ id, title, kind, unit, perUnit, baseline, lowerIsBetter, phase, mode, rate, conns })),
  results,
};
printTable(report);
if (!opt['no-write']) {
  const files = writeReport(report, opt.out);
  console.log(`\nwrote ${files.join(', ')}`);
}
rmSync(tmp, { recursive: true, force: true });
log(`done in ${report.elapsedSeconds} s`);
process.exit(exitCode);
