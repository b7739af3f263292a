// CPU-time and RSS accounting of a subject from /proc, summed over its whole process tree
// (every thread is included: /proc/PID/stat utime+stime covers all threads of the process,
// and worker processes are found by walking ppid links).
import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

let clkTck = 100;
try {
  clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {
  /* Linux default */
}
const pageKiB = 4;

function statFields(pid) {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // comm may contain spaces and parentheses: fields start after the last ')'
  const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); field N is rest[N - 3]
  return { ppid: Number(rest[1]), utime: Number(rest[11]), stime: Number(rest[12]), rssPages: Number(rest[21]) };
}

/** pid and every descendant pid (live ones). */
export function processTree(rootPid) {
  const children = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const { ppid } = statFields(name);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(name));
    } catch {
      /* exited meanwhile */
    }
  }
  const out = [];
  const stack = [rootPid];
  while (stack.length) {
    const p = stack.pop();
    out.push(p);
    for (const c of children.get(p) ?? []) stack.push(c);
  }
  return out;
}

/** Subject CPU seconds (user + system) summed over the process tree of rootPid. */
export function cpuSeconds(rootPid) {
  let ticks = 0;
  for (const pid of processTree(rootPid)) {
    try {
      const f = statFields(pid);
      ticks += f.utime + f.stime;
    } catch {
      /* exited meanwhile */
    }
  }
  return ticks / clkTck;
}

/** VmRSS in KiB summed over the process tree of rootPid. */
export function rssKiB(rootPid) {
  let kib = 0;
  for (const pid of processTree(rootPid)) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      kib += m ? Number(m[1]) : statFields(pid).rssPages * pageKiB;
    } catch {
      /* exited meanwhile */
    }
  }
  return kib;
}

/** Run fn() and return its result plus the subject's CPU seconds and wall seconds over it. */
export async function measured(rootPid, fn) {
  const c0 = cpuSeconds(rootPid);
  const t0 = process.hrtime.bigint();
  const result = await fn();
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = cpuSeconds(rootPid) - c0;
  return { result, cpu, wall };
}
