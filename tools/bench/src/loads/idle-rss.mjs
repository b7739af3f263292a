// RSS per idle TLS connection: the subject's VmRSS (summed over its process tree) before and
// after 1,000 TLS connections that each made one request and then stay idle.
import { fileURLToPath } from 'node:url';
import { startProcess, sleep } from '../proc.mjs';
import { rssKiB } from '../cpu.mjs';

const CLIENT = fileURLToPath(new URL('./idle-client.mjs', import.meta.url));

async function openIdle(port, n, loadCpu, name) {
  const c = startProcess(process.execPath, [CLIENT, String(port), String(n), '50'], { cpu: loadCpu, name });
  await c.waitFor(/ready \d+ \d+/, 60_000);
  const [, open, failed] = /ready (\d+) (\d+)/.exec(c.output()).map(Number);
  return { c, open, failed };
}

export async function idleRss({ port, pid, conns = 1000, settleMs = 1500, loadCpu }) {
  // warm-up: some connections and requests, then close them, so lazy init is not counted
  const w = await openIdle(port, 50, loadCpu, 'idle-warmup');
  await w.c.stop();
  await sleep(settleMs);
  const before = rssKiB(pid);
  const { c, open, failed } = await openIdle(port, conns, loadCpu, 'idle-client');
  await sleep(settleMs);
  const after = rssKiB(pid);
  await sleep(300);
  const lines = c.output().match(/open (\d+)/g) ?? [];
  const stillOpen = lines.length ? Number(lines.at(-1).split(' ')[1]) : open;
  await c.stop();
  return {
    beforeKiB: before,
    afterKiB: after,
    open,
    failed,
    stillOpen,
    perConnKiB: (after - before) / open,
  };
}
