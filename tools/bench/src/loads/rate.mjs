// Constant offered load from rate-client.mjs (on the load core), for the latency figures (a few
// connections at 2,000-5,000 req/s) and the many-connections figures (2,000 connections at a
// modest total rate). The subject's CPU is counted over the load only, not over the client's
// connection setup: the client connects, the harness reads the subject's CPU and RSS, signals
// the client to start, and reads them again when the client has printed its result.
import { fileURLToPath } from 'node:url';
import { startProcess, sleep } from '../proc.mjs';
import { cpuSeconds, rssKiB } from '../cpu.mjs';

const CLIENT = fileURLToPath(new URL('./rate-client.mjs', import.meta.url));

export async function rateLoad({ port, pid, mode, conns, rate, seconds, loadCpu, clock = 'worker', settleMs = 500, drainMs = 3000 }) {
  const rssBaseKiB = rssKiB(pid);
  const args = JSON.stringify({ port, mode, conns, rate, seconds, drainMs, clock });
  const c = startProcess(process.execPath, [CLIENT, args], { cpu: loadCpu, name: `rate-client ${mode}` });
  try {
    // 2,000 new TLS connections from one Node client take seconds (more on a slow TLS stack)
    await c.waitFor(/^connected \d+ \d+/m, 180_000);
    const [, open, failed] = /^connected (\d+) (\d+)/m.exec(c.output()).map(Number);
    if (failed > conns * 0.01) throw new Error(`only ${open} of ${conns} connections: ${c.output().split('\n').find((l) => l.startsWith('connected'))}`);
    await sleep(settleMs); // the subject finishes with the setup (and its GC) before the window opens
    const rssConnectedKiB = rssKiB(pid);
    const cpu0 = cpuSeconds(pid);
    process.kill(c.pid, 'SIGUSR2');
    await c.waitFor(/^result \{/m, (seconds + drainMs / 1000 + 30) * 1000);
    const cpu = cpuSeconds(pid) - cpu0; // the subject is idle again once the client has its answers
    const rssLoadedKiB = rssKiB(pid);
    const line = c.output().split('\n').find((l) => l.startsWith('result '));
    const r = JSON.parse(line.slice('result '.length));
    const answered = r.ok + r.errors;
    return {
      ...r,
      open,
      cpuSec: cpu,
      cpuUsPerReq: (cpu * 1e6) / Math.max(1, answered),
      rssBaseKiB,
      rssConnectedKiB,
      rssLoadedKiB,
      rssMiB: rssLoadedKiB / 1024,
      // growth of the subject's RSS from before the client connected to the end of the load, per connection
      perConnKiB: (rssLoadedKiB - rssBaseKiB) / open,
    };
  } finally {
    await c.stop();
  }
}
