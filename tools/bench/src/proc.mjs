// Child processes in their own process groups, so that a subject, its workers, nginx and the
// load generators are always killed as a whole: on success, on error and on Ctrl-C.
import { appendFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import net from 'node:net';

const live = new Set();

function killGroup(child, signal = 'SIGKILL') {
  try {
    process.kill(-child.pid, signal);
  } catch {
    /* already gone */
  }
}

export function killAll() {
  for (const c of live) killGroup(c);
  live.clear();
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    killAll();
    process.exit(130);
  });
}

/** cmd + args, under `taskset -c cpu` when a cpu is given. */
function pinned(cmd, args, cpu) {
  return cpu === undefined ? [cmd, args] : ['taskset', ['-c', String(cpu), cmd, ...args]];
}

/** Start a long-running process (a subject or the origin) in a new process group, pinned by taskset. */
export function startProcess(cmd, args, { cpu, env, cwd, name } = {}) {
  const [file, argv] = pinned(cmd, args, cpu);
  const child = spawn(file, argv, {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
    cwd,
  });
  live.add(child);
  let output = '';
  const onData = (d) => {
    output += d.toString();
    if (output.length > 64_000) output = output.slice(-32_000);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  // PROXY_BENCH_SUBJECT_LOG=FILE keeps what each process printed (the last 32-64 KB), e.g. for
  // counting mark-compacts with --node-args=--trace-gc.
  const keep = process.env.PROXY_BENCH_SUBJECT_LOG;
  if (keep) child.on('exit', () => appendFileSync(keep, `\n=== ${name ?? cmd}\n${output}`));
  child.on('error', (e) => {
    output += `\nspawn error: ${e.message}`;
  });
  return {
    name: name ?? cmd,
    child,
    pid: child.pid,
    output: () => output,
    exited,
    /** Resolves once `re` appears in the output; rejects on exit or timeout. */
    async waitFor(re, timeoutMs = 15_000) {
      const t0 = Date.now();
      for (;;) {
        if (re.test(output)) return;
        if (child.exitCode !== null || child.signalCode !== null)
          throw new Error(`${name ?? cmd} exited before ready:\n${output.slice(-2000)}`);
        if (Date.now() - t0 > timeoutMs) throw new Error(`${name ?? cmd} not ready after ${timeoutMs} ms:\n${output.slice(-2000)}`);
        await sleep(50);
      }
    },
    async stop() {
      killGroup(child, 'SIGTERM');
      const t = setTimeout(() => killGroup(child, 'SIGKILL'), 2000);
      await exited;
      clearTimeout(t);
      killGroup(child, 'SIGKILL'); // stragglers in the group
      live.delete(child);
    },
  };
}

/** Run a bounded command (a load generator) to completion; resolves with its output. */
export function run(cmd, args, { cpu, timeoutMs = 120_000, allowFail = false } = {}) {
  const [file, argv] = pinned(cmd, args, cpu);
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(child);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => {
      out += `\n[killed after ${timeoutMs} ms]`;
      killGroup(child);
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      live.delete(child);
      reject(e);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      killGroup(child);
      live.delete(child);
      if (code !== 0 && !allowFail) reject(new Error(`${cmd} ${args.join(' ')} exited ${code}:\n${out.slice(-2000)}`));
      else resolve(out);
    });
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Wait until a TCP port accepts connections. */
export async function waitPort(port, timeoutMs = 15_000) {
  const t0 = Date.now();
  for (;;) {
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() - t0 > timeoutMs) throw new Error(`port ${port} not open after ${timeoutMs} ms`);
    await sleep(50);
  }
}

export function median(xs) {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}
