#!/usr/bin/env node
// Summarises V8 .cpuprofile files (from `node --cpu-prof`): top functions by self time.
// usage: node tools/bench/src/profile-summary.mjs FILE.cpuprofile|DIR [--top N]
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, basename } from 'node:path';

const args = process.argv.slice(2);
const topN = args.includes('--top') ? Number(args[args.indexOf('--top') + 1]) : 25;
const target = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--top');
if (!target) {
  console.error('usage: profile-summary.mjs FILE.cpuprofile|DIR [--top N]');
  process.exit(2);
}
const files = statSync(target).isDirectory()
  ? readdirSync(target).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(target, f))
  : [target];

for (const file of files) {
  const prof = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map(); // id -> µs
  const dts = prof.timeDeltas;
  for (let i = 0; i < prof.samples.length; i++) {
    const dt = dts[i + 1] ?? 0;
    self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + dt);
  }
  const byFile = new Map(); // script -> µs
  const agg = new Map(); // "fn file:line" -> µs
  let total = 0;
  for (const [id, us] of self) {
    const n = byId.get(id);
    const cf = n.callFrame;
    const url = cf.url ? cf.url.replace(/^file:\/\//, '').replace(/.*\/node_modules\/(\.pnpm\/[^/]+\/node_modules\/)?/, '~/') : '';
    const key = `${cf.functionName || '(anonymous)'}  ${url ? `${basename(url)}:${cf.lineNumber + 1}` : ''}`.trim();
    agg.set(key, (agg.get(key) ?? 0) + us);
    const where = url ? (url.includes('/packages/') ? `@proxy ${url.replace(/.*\/packages\//, '')}` : url.startsWith('node:') ? url : basename(url)) : `(native) ${cf.functionName || ''}`;
    byFile.set(where, (byFile.get(where) ?? 0) + us);
    total += us;
  }
  const idle = ['(idle)', '(program)', '(garbage collector)'].map((k) => [k, agg.get(k) ?? 0]);
  const busy = total - (agg.get('(idle)') ?? 0);
  console.log(`\n${file}: ${(total / 1e6).toFixed(2)} s sampled, ${(busy / 1e6).toFixed(2)} s not idle`);
  // (idle) includes native work that runs outside JavaScript (e.g. OpenSSL inside libuv callbacks)
  console.log(`(idle) ${((100 * idle[0][1]) / total).toFixed(1)}% of samples; of the rest: ` +
    idle.slice(1).map(([k, v]) => `${k} ${((100 * v) / busy).toFixed(1)}%`).join(', '));
  const rows = [...agg].filter(([k]) => k !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, topN);
  for (const [k, us] of rows) console.log(`${((100 * us) / busy).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}`);
  const proxyJs = [...byFile].filter(([k]) => k.startsWith('@proxy')).reduce((a, [, v]) => a + v, 0);
  const nodeJs = [...byFile].filter(([k]) => k.startsWith('node:')).reduce((a, [, v]) => a + v, 0);
  console.log(`\nby script (self time): @proxy packages ${((100 * proxyJs) / busy).toFixed(1)}%, node: internals ${((100 * nodeJs) / busy).toFixed(1)}%`);
  const files = [...byFile].filter(([k]) => k !== '(native) (idle)').sort((a, b) => b[1] - a[1]).slice(0, 15);
  for (const [k, us] of files) console.log(`${((100 * us) / busy).toFixed(1).padStart(5)}%  ${k}`);
}
