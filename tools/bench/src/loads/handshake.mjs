// New TLS handshakes: h2load --h1 with one request per connection (-c N -n N), connections
// opened at a fixed rate. The subject runs with session tickets and the session cache off, so
// every connection is a full handshake. h2load tops out near 2,000 connections/s whatever the
// server, so the reliable figure is the subject's CPU µs per handshake (and its inverse,
// handshakes per CPU-second); the raw rate is mostly the client's limit.
import { run } from '../proc.mjs';
import { measured } from '../cpu.mjs';
import { parseH2load } from './parse.mjs';

export async function handshakes({ port, pid, count = 3000, ratePerSec = 2500, loadCpu }) {
  const periodMs = 20;
  const perPeriod = Math.max(1, Math.round((ratePerSec * periodMs) / 1000));
  const { result, cpu, wall } = await measured(pid, () =>
    run('h2load', ['--h1', '-t1', `-c${count}`, `-n${count}`, `-r${perPeriod}`, `--rate-period=${periodMs}ms`,
      '-T10', `https://127.0.0.1:${port}/`], { cpu: loadCpu }));
  const r = parseH2load(result);
  const n = r.requests; // one request per connection: successful requests = completed handshakes
  return {
    hsPerSec: n / r.seconds,
    handshakes: n,
    errors: r.errors,
    protocol: r.protocol,
    cipher: r.cipher,
    kex: r.kex,
    cpuSec: cpu,
    wall,
    perCpuSec: n / cpu,
    cpuUsPerHs: (cpu * 1e6) / n,
  };
}
