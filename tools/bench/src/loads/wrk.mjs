// Keep-alive HTTPS/1.1 requests per second and p99 latency, with wrk on the load core.
import { run } from '../proc.mjs';
import { measured } from '../cpu.mjs';
import { parseWrk } from './parse.mjs';

export async function keepAlive({ port, pid, seconds, conns = 32, path = '/', loadCpu }) {
  const { result, cpu } = await measured(pid, () =>
    run('wrk', ['-t1', `-c${conns}`, `-d${seconds}s`, '--latency', `https://127.0.0.1:${port}${path}`], { cpu: loadCpu }));
  const r = parseWrk(result);
  return {
    rps: r.rps,
    p99ms: r.p99ms,
    requests: r.requests,
    errors: r.errors,
    cpuSec: cpu,
    perCpuSec: r.requests / cpu,
    cpuUsPerReq: (cpu * 1e6) / r.requests,
  };
}
