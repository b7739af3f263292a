// Bulk throughput: GET of a 1 MiB body over keep-alive HTTPS/1.1, with h2load --h1 so that
// the TLS 1.3 cipher can be chosen (AES-128-GCM or ChaCha20-Poly1305).
import { run } from '../proc.mjs';
import { measured } from '../cpu.mjs';
import { parseH2load } from './parse.mjs';

export const CIPHERS = { aes: 'TLS_AES_128_GCM_SHA256', chacha: 'TLS_CHACHA20_POLY1305_SHA256' };
const BODY = 1 << 20;

export async function bulk({ port, pid, seconds, conns = 4, cipher = 'aes', loadCpu }) {
  const { result, cpu } = await measured(pid, () =>
    run('h2load', ['--h1', '-t1', `-c${conns}`, '-m1', `-D${seconds}`, `--tls13-ciphers=${CIPHERS[cipher]}`,
      `https://127.0.0.1:${port}/1m`], { cpu: loadCpu }));
  const r = parseH2load(result);
  if (r.cipher && r.cipher !== CIPHERS[cipher]) throw new Error(`expected ${CIPHERS[cipher]}, got ${r.cipher}`);
  const mb = (r.requests * BODY) / 1e6;
  return {
    mbps: mb / r.seconds,
    requests: r.requests,
    errors: r.errors,
    cipher: r.cipher,
    cpuSec: cpu,
    perCpuSec: mb / cpu,
  };
}
