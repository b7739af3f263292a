// The report: a table of ratios against the Node baseline (and nginx), JSON, and an SVG chart.
import { writeFileSync, mkdirSync, copyFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import os from 'node:os';
import { TARGETS } from './figures.mjs';
import { NGINX } from './nginx.mjs';

function sh(cmd) {
  try {
    return execFileSync('sh', ['-c', cmd], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch {
    return undefined;
  }
}

export function environment(repo, gateways) {
  return {
    date: new Date().toISOString(),
    node: process.version,
    openssl: process.versions.openssl,
    opensslCli: sh('openssl version'),
    nginx: sh(`${NGINX} -v 2>&1`),
    wrk: sh('wrk --version 2>&1 | head -1'),
    h2load: sh('h2load --version'),
    cpu: os.cpus()[0]?.model,
    cpus: os.cpus().length,
    loadavgAtEnd: os.loadavg(),
    kernel: os.release(),
    gitCommit: sh(`git -C ${repo} rev-parse --short HEAD`),
    gateways: gateways.map((g) => ({ id: g.id, backend: g.backend, main: g.main, built: g.built })),
  };
}

const med = (report, fig, id) => report.results[fig]?.[id]?.median;

/** Main value of a figure: [raw, perCpu] */
function values(kind, m) {
  if (!m || !Object.keys(m).length) return [NaN, NaN];
  switch (kind) {
    case 'ka':
    case 'h2': return [m.rps, m.perCpuSec];
    case 'hs': return [m.hsPerSec, m.perCpuSec];
    case 'bulk': return [m.mbps, m.perCpuSec];
    case 'rss': return [m.perConnKiB, NaN];
    case 'lat': return [m.p99ms, NaN];
    case 'many': return [m.cpuUsPerReq, NaN];
    default: return [NaN, NaN];
  }
}

function fmt(x, digits) {
  if (!Number.isFinite(x)) return '-';
  if (digits !== undefined) return x.toFixed(digits);
  const a = Math.abs(x);
  return a >= 1000 ? Math.round(x).toLocaleString('en-US') : a >= 100 ? x.toFixed(0) : a >= 10 ? x.toFixed(1) : x.toFixed(2);
}
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? a / b : NaN);
const fx = (r) => (Number.isFinite(r) ? `${r.toFixed(2)}x` : '-');

function pad(rows) {
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? String(c).padEnd(w[i]) : String(c).padStart(w[i]))).join('  ')).join('\n');
}

/** Rows of a constant-rate figure (latency or many connections); lower is better throughout. */
function rateTable(report, f, res, ids) {
  const base = med(report, f.id, f.baseline);
  const ngx = med(report, f.id, 'nginx');
  const lat = f.kind === 'lat';
  const head = lat
    ? ['subject', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'CPU-us/req', 'failed', 'x node p99', 'x nginx p99', 'client lag p99']
    : ['subject', 'conns', 'req/s', 'CPU-us/req', 'RSS MiB', 'KiB/conn', 'p50 ms', 'p99 ms', 'failed', 'x node CPU', 'x nginx CPU', 'x node RSS', 'x nginx RSS'];
  const rows = [head];
  const notes = [];
  for (const id of ids) {
    const m = res[id].median;
    const label = report.subjects[id]?.label ?? id;
    if (!m || !Object.keys(m).length) {
      rows.push([label, `ERROR: ${(res[id].error ?? '').split('\n')[0].slice(0, 60)}`, ...head.slice(2).map(() => '')]);
      continue;
    }
    // below the offered rate: the subject (or the machine) could not keep up, so the latency is a queue's
    const short = m.achievedRps < 0.97 * m.rate ? '!' : '';
    if (short) notes.push(`${label}: answered ${fmt(m.achievedRps)} of ${fmt(m.rate)} req/s offered`);
    const failed = fmt((m.errors ?? 0) + (m.unfinished ?? 0), 0);
    if (lat) {
      rows.push([label, `${fmt(m.achievedRps)}${short}`, fmt(m.p50ms, 2), fmt(m.p90ms, 2), fmt(m.p99ms, 2), fmt(m.p999ms, 2), fmt(m.maxms, 1),
        fmt(m.cpuUsPerReq, 1), failed, fx(ratio(m.p99ms, base?.p99ms)), fx(ratio(m.p99ms, ngx?.p99ms)), fmt(m.clientLagP99ms, 2)]);
    } else {
      rows.push([label, fmt(m.open, 0), `${fmt(m.achievedRps)}${short}`, fmt(m.cpuUsPerReq, 1), fmt(m.rssMiB, 1), fmt(m.perConnKiB, 1), fmt(m.p50ms, 2), fmt(m.p99ms, 2), failed,
        fx(ratio(m.cpuUsPerReq, base?.cpuUsPerReq)), fx(ratio(m.cpuUsPerReq, ngx?.cpuUsPerReq)), fx(ratio(m.rssMiB, base?.rssMiB)), fx(ratio(m.rssMiB, ngx?.rssMiB))]);
    }
  }
  const out = [pad(rows)];
  for (const n of notes) out.push(`  ! ${n}`);
  return out.join('\n');
}

export function tableText(report) {
  const out = [];
  for (const f of report.figures) {
    const res = report.results[f.id] ?? {};
    const ids = Object.keys(res);
    if (!ids.length) continue;
    if (f.kind === 'lat' || f.kind === 'many') {
      out.push(`\n== ${f.title}  [ratios vs ${f.baseline}; lower is better]`);
      out.push(rateTable(report, f, res, ids));
      continue;
    }
    const [bRaw, bCpu] = values(f.kind, med(report, f.id, f.baseline));
    const [nRaw, nCpu] = values(f.kind, med(report, f.id, 'nginx'));
    out.push(`\n== ${f.title}  [ratios vs ${f.baseline}${f.lowerIsBetter ? '; lower is better' : ''}]`);
    let head;
    if (f.kind === 'rss') head = ['subject', 'KiB/conn', 'RSS before', 'RSS after', 'open', 'x node', 'x nginx'];
    else {
      head = ['subject', f.unit, f.perUnit];
      if (f.kind === 'ka') head.push('p99 ms', 'CPU-us/req');
      if (f.kind === 'h2') head.push('CPU-us/req');
      if (f.kind === 'hs') head.push('CPU-us/hs');
      head.push('x node raw', 'x node /CPU', 'x nginx /CPU');
    }
    const rows = [head];
    for (const id of ids) {
      const m = res[id].median;
      const label = report.subjects[id]?.label ?? id;
      if (!m || !Object.keys(m).length) {
        rows.push([label, `ERROR: ${(res[id].error ?? '').split('\n')[0].slice(0, 60)}`, ...head.slice(2).map(() => '')]);
        continue;
      }
      const [raw, cpu] = values(f.kind, m);
      if (f.kind === 'rss') {
        rows.push([label, fmt(raw, 1), `${(m.beforeKiB / 1024).toFixed(1)} MiB`, `${(m.afterKiB / 1024).toFixed(1)} MiB`, fmt(m.open, 0), fx(ratio(raw, bRaw)), fx(ratio(raw, nRaw))]);
        continue;
      }
      const row = [label, fmt(raw), fmt(cpu)];
      if (f.kind === 'ka') row.push(fmt(m.p99ms, 2), fmt(m.cpuUsPerReq, 1));
      if (f.kind === 'h2') row.push(fmt(m.cpuUsPerReq, 1));
      if (f.kind === 'hs') row.push(fmt(m.cpuUsPerHs, 0));
      row.push(fx(ratio(raw, bRaw)), fx(ratio(cpu, bCpu)), fx(ratio(cpu, nCpu)));
      rows.push(row);
    }
    out.push(pad(rows));
  }
  const t = evaluateTargets(report);
  if (t.length) {
    out.push('\n== targets (per CPU-second of the subject unless stated)');
    out.push(pad([['status', 'subject', 'target', 'measured'], ...t.map((x) => [x.status, x.subject, x.text, x.measured])]));
  }
  return out.join('\n');
}

export function evaluateTargets(report) {
  const out = [];
  const gws = Object.keys(report.subjects).filter((s) => s.startsWith('gw-'));
  for (const tg of TARGETS) {
    const fig = report.figures.find((f) => f.id === tg.figure);
    if (!fig) continue;
    for (const gw of gws.filter((g) => g === `gw-${tg.backend}`)) {
      const [raw, cpu] = values(fig.kind, med(report, fig.id, gw));
      let measured;
      let ok;
      if (tg.absMax !== undefined) {
        measured = `${fmt(raw, 1)} ${fig.unit}`;
        ok = raw <= tg.absMax;
      } else if (tg.maxRatio !== undefined) {
        // Lower is better (RSS): the raw value against the reference's.
        const [refRaw] = values(fig.kind, med(report, fig.id, tg.ref));
        const r = ratio(raw, refRaw);
        measured = `${fx(r)} (${fmt(raw, 1)} vs ${fmt(refRaw, 1)} ${fig.unit})`;
        ok = r <= tg.maxRatio;
      } else if (tg.absMin !== undefined) {
        measured = `${fmt(raw)} ${fig.unit} raw, ${fmt(cpu)} ${fig.perUnit}`;
        ok = raw >= tg.absMin;
      } else if (tg.absMinCpu !== undefined) {
        measured = `${fmt(cpu)} ${fig.perUnit} (${fmt(raw)} ${fig.unit} raw)`;
        ok = cpu >= tg.absMinCpu;
      } else {
        const [, refCpu] = values(fig.kind, med(report, fig.id, tg.ref));
        const r = ratio(cpu, refCpu);
        measured = `${fx(r)} (${fmt(cpu)} vs ${fmt(refCpu)} ${fig.perUnit})`;
        ok = r >= tg.min;
      }
      const status = !Number.isFinite(raw) || measured.startsWith('-') ? 'NO DATA' : ok ? 'MET' : 'MISSED';
      out.push({ subject: gw, figure: fig.id, text: tg.text, measured, status });
    }
  }
  return out;
}

export function printTable(report) {
  console.log(tableText(report));
}

// ---- SVG chart: one panel per figure, bars = per-CPU-second value relative to the Node baseline
function esc(s) {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

// Latency panel: per subject, p99.9 / p99 / p50 as overlaid bars (light to dark) on a log scale
// of milliseconds, so that sub-millisecond medians and tens-of-milliseconds tails fit together.
function latPanel(report, f, ids, y, { labelW, barMax, rowH, colorOf }) {
  const parts = [];
  const lo = 0.05;
  const vals = ids.map((id) => med(report, f.id, id) ?? {});
  const hi = Math.max(2, ...vals.map((m) => (Number.isFinite(m.p999ms) ? m.p999ms : 0))) * 1.3;
  const scale = (barMax - 140) / Math.log10(hi / lo); // room for the text after the longest bar
  const xOf = (ms) => labelW + Math.max(0, Math.log10(Math.max(ms, lo) / lo)) * scale;
  parts.push(`<text x="10" y="${y}" font-weight="bold">${esc(f.title)} — ms, log scale: p50 dark, p99, p99.9 light</text>`);
  y += 8;
  const top = y;
  ids.forEach((id, k) => {
    const m = vals[k];
    parts.push(`<text x="${labelW - 6}" y="${y + 13}" text-anchor="end">${esc(report.subjects[id]?.label ?? id)}</text>`);
    if (!Number.isFinite(m.p50ms)) {
      parts.push(`<text x="${labelW + 4}" y="${y + 13}" font-size="11">error</text>`);
      y += rowH;
      return;
    }
    const c = colorOf(id);
    for (const [v, op] of [[m.p999ms, 0.3], [m.p99ms, 0.6], [m.p50ms, 1]])
      if (Number.isFinite(v)) parts.push(`<rect x="${labelW}" y="${y + 2}" width="${Math.max(1, xOf(v) - labelW).toFixed(1)}" height="${rowH - 4}" fill="${c}" fill-opacity="${op}"/>`);
    const short = m.achievedRps < 0.97 * m.rate ? `; only ${fmt(m.achievedRps)} req/s answered` : '';
    const text = `p50 ${fmt(m.p50ms, 2)}  p99 ${fmt(m.p99ms, 2)}  p99.9 ${fmt(m.p999ms, 2)} ms${short}`;
    parts.push(`<text x="${(xOf(m.p999ms) + 4).toFixed(1)}" y="${y + 13}" font-size="11">${esc(text)}</text>`);
    y += rowH;
  });
  for (const t of [0.1, 1, 10, 100, 1000].filter((t) => t <= hi)) {
    const x = xOf(t).toFixed(1);
    parts.push(`<line x1="${x}" y1="${top}" x2="${x}" y2="${y}" stroke="#999" stroke-dasharray="2,3"/>`);
    parts.push(`<text x="${x}" y="${y + 11}" font-size="10" text-anchor="middle" fill="#555">${t} ms</text>`);
  }
  return { parts, y: y + 12 };
}

// Many-connections panel: CPU µs per request and RSS, each relative to the figure's Node baseline.
function manyPanel(report, f, ids, y, { labelW, barMax, rowH, colorOf }) {
  const parts = [];
  const half = barMax / 2 - 20;
  const vals = ids.map((id) => med(report, f.id, id) ?? {});
  const base = med(report, f.id, f.baseline) ?? {};
  const maxCpu = Math.max(...vals.map((m) => (Number.isFinite(m.cpuUsPerReq) ? m.cpuUsPerReq : 0)), 1e-9) * 1.05;
  const maxRss = Math.max(...vals.map((m) => (Number.isFinite(m.rssMiB) ? m.rssMiB : 0)), 1e-9) * 1.05;
  parts.push(`<text x="10" y="${y}" font-weight="bold">${esc(f.title)} — CPU-us/req | RSS MiB (x ${esc(f.baseline)})</text>`);
  y += 8;
  const x2 = labelW + half + 40;
  ids.forEach((id, k) => {
    const m = vals[k];
    parts.push(`<text x="${labelW - 6}" y="${y + 13}" text-anchor="end">${esc(report.subjects[id]?.label ?? id)}</text>`);
    if (!Number.isFinite(m.cpuUsPerReq)) {
      parts.push(`<text x="${labelW + 4}" y="${y + 13}" font-size="11">error</text>`);
      y += rowH;
      return;
    }
    const wc = Math.max(1, (m.cpuUsPerReq / maxCpu) * (half - 90));
    const wr = Math.max(1, (m.rssMiB / maxRss) * (half - 90));
    parts.push(`<rect x="${labelW}" y="${y + 2}" width="${wc.toFixed(1)}" height="${rowH - 4}" fill="${colorOf(id)}"/>`);
    parts.push(`<text x="${(labelW + wc + 4).toFixed(1)}" y="${y + 13}" font-size="11">${esc(`${fmt(m.cpuUsPerReq, 1)} us (${fx(ratio(m.cpuUsPerReq, base.cpuUsPerReq))})`)}</text>`);
    parts.push(`<rect x="${x2}" y="${y + 2}" width="${wr.toFixed(1)}" height="${rowH - 4}" fill="${colorOf(id)}" fill-opacity="0.6"/>`);
    parts.push(`<text x="${(x2 + wr + 4).toFixed(1)}" y="${y + 13}" font-size="11">${esc(`${fmt(m.rssMiB, 1)} MiB (${fx(ratio(m.rssMiB, base.rssMiB))})`)}</text>`);
    y += rowH;
  });
  return { parts, y };
}

export function chartSvg(report) {
  const W = 1020;
  const labelW = 170;
  const barMax = 560;
  const rowH = 18;
  const colors = { 'gw-': '#1f77b4', 'node-': '#ff7f0e', nginx: '#2ca02c' };
  const colorOf = (id) => Object.entries(colors).find(([k]) => id.startsWith(k))?.[1] ?? '#888';
  const parts = [];
  let y = 50;
  for (const f of report.figures) {
    const res = report.results[f.id] ?? {};
    const ids = Object.keys(res);
    if (!ids.length) continue;
    if (f.kind === 'lat' || f.kind === 'many') {
      const p = (f.kind === 'lat' ? latPanel : manyPanel)(report, f, ids, y, { labelW, barMax, rowH, colorOf });
      parts.push(...p.parts);
      y = p.y + 28;
      continue;
    }
    const perCpu = f.kind !== 'rss';
    const [bRaw, bCpu] = values(f.kind, med(report, f.id, f.baseline));
    const base = perCpu ? bCpu : bRaw;
    const rows = ids.map((id) => {
      const [raw, cpu] = values(f.kind, med(report, f.id, id));
      const v = perCpu ? cpu : raw;
      return { id, v, raw, r: ratio(v, base) };
    });
    const maxR = Math.max(1.2, ...rows.map((r) => (Number.isFinite(r.r) ? r.r : 0))) * 1.1;
    const scale = barMax / maxR;
    parts.push(`<text x="10" y="${y}" font-weight="bold">${esc(f.title)} — ${perCpu ? `${esc(f.perUnit)}` : `${esc(f.unit)} (lower is better)`}, relative to ${esc(f.baseline)}</text>`);
    y += 8;
    const top = y;
    for (const r of rows) {
      const w = Number.isFinite(r.r) ? Math.max(1, r.r * scale) : 0;
      parts.push(`<text x="${labelW - 6}" y="${y + 13}" text-anchor="end">${esc(report.subjects[r.id]?.label ?? r.id)}</text>`);
      parts.push(`<rect x="${labelW}" y="${y + 2}" width="${w.toFixed(1)}" height="${rowH - 4}" fill="${colorOf(r.id)}"/>`);
      const text = Number.isFinite(r.r) ? `${r.r.toFixed(2)}x  (${fmt(r.v)}${perCpu ? '' : ' KiB'}${perCpu ? `; raw ${fmt(r.raw)} ${f.unit}` : ''})` : 'error';
      parts.push(`<text x="${(labelW + w + 4).toFixed(1)}" y="${y + 13}" font-size="11">${esc(text)}</text>`);
      y += rowH;
    }
    const x1 = labelW + scale;
    parts.push(`<line x1="${x1.toFixed(1)}" y1="${top}" x2="${x1.toFixed(1)}" y2="${y}" stroke="#000" stroke-dasharray="3,2"/>`);
    // the gateway target against this figure's baseline, as a red line
    const tg = TARGETS.find((t) => t.figure === f.id && t.ref === f.baseline && t.min !== undefined);
    if (tg) {
      const xt = labelW + tg.min * scale;
      parts.push(`<line x1="${xt.toFixed(1)}" y1="${top}" x2="${xt.toFixed(1)}" y2="${y}" stroke="#d62728" stroke-dasharray="5,3"/>`);
      parts.push(`<text x="${(xt + 3).toFixed(1)}" y="${y + 11}" font-size="10" fill="#d62728">target ${tg.min}x (${esc(tg.backend)} gateway)</text>`);
      y += 8;
    }
    y += 28;
  }
  const when = esc(report.startedAt);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${y + 10}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="#fff"/>
<text x="10" y="22" font-size="15" font-weight="bold">@proxy bench ${when} — per CPU-second of the subject (1 core), ratio to the Node baseline (black dashed = 1.0x, red dashed = target)</text>
${parts.join('\n')}
</svg>
`;
}

export function writeReport(report, outDir) {
  mkdirSync(outDir, { recursive: true });
  report.targets = evaluateTargets(report);
  report.table = tableText(report);
  const stamp = report.startedAt.replace(/[:]/g, '-').replace(/\..*/, 'Z');
  const json = join(outDir, `${stamp}.json`);
  const svg = join(outDir, `${stamp}.svg`);
  writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(svg, chartSvg(report));
  copyFileSync(json, join(outDir, 'latest.json'));
  copyFileSync(svg, join(outDir, 'latest.svg'));
  return [json, svg, join(outDir, 'latest.json'), join(outDir, 'latest.svg')];
}
