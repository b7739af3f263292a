// HTTP/2 requests per second with h2load (TLS, ALPN h2), several streams per connection.
import { run } from '../proc.mjs';
import { measured } from '../cpu.mjs';
import { parseH2load } from './parse.mjs';

export async function h2({ port, pid, seconds, conns = 8, streams = 16, loadCpu }) {
  const { result, cpu } = await measured(pid, () =>
    run('h2load', ['-t1', `-c${conns}`, `-m${streams}`, `-D${seconds}`, '--npn-list=h2', `https://127.0.0.1:${port}/`],
      { cpu: loadCpu }));
  const r = parseH2load(result);
  if (r.alpn && r.alpn !== 'h2') throw new Error(`expected h2, got ${r.alpn}`);
  return {
    rps: r.requests / r.seconds,
    requests: r.requests,
    errors: r.errors + (r.requests - r.ok2xx),
    cpuSec: cpu,
    perCpuSec: r.requests / cpu,
    cpuUsPerReq: (cpu * 1e6) / r.requests,
  };
}
